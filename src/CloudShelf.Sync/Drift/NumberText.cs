namespace CloudShelf.Sync.Drift;

/// <summary>
/// Equality of decimal numbers given as text (DynamoDB N, PostgreSQL numeric), exact to every digit:
/// 12.5 equals 12.50 and 1.25E+1. Never through <see cref="double"/> or <see cref="decimal"/>, which
/// round beyond 15-28 digits.
/// </summary>
internal static class NumberText
{
    /// <summary>True when both texts denote the same number; a text that is no number equals only itself.</summary>
    public static bool Equal(string a, string b)
    {
        if (string.Equals(a, b, StringComparison.Ordinal)) return true;
        if (!TryNormalise(a, out var negA, out var digitsA, out var expA) || !TryNormalise(b, out var negB, out var digitsB, out var expB))
            return false;
        if (digitsA.Count == 0 || digitsB.Count == 0) return digitsA.Count == digitsB.Count;
        return negA == negB && expA == expB && SameDigits(a, digitsA, b, digitsB);
    }

    // The significant digits may be split by the decimal point; compare them digit by digit.
    private static bool SameDigits(string a, Digits da, string b, Digits db)
    {
        if (da.Count != db.Count) return false;
        int i = da.Start, j = db.Start;
        for (var n = 0; n < da.Count; n++, i++, j++)
        {
            if (a[i] == '.') i++;
            if (b[j] == '.') j++;
            if (a[i] != b[j]) return false;
        }
        return true;
    }

    /// <summary>The significant digits (first to last non-zero) of a mantissa, possibly spanning the point.</summary>
    private readonly record struct Digits(int Start, int Length, int Count);

    /// <summary>
    /// Splits a number into sign, significant digits and the exponent of its first significant digit
    /// (value = 0.d1d2... × 10^exp). Zero has no digits.
    /// </summary>
    private static bool TryNormalise(string text, out bool negative, out Digits digits, out long exponent)
    {
        negative = false;
        digits = default;
        exponent = 0;
        var s = text.AsSpan();
        var start = 0;
        if (s.Length > 0 && (s[0] == '-' || s[0] == '+'))
        {
            negative = s[0] == '-';
            start = 1;
        }
        var e = s.IndexOfAny('e', 'E');
        var end = e < 0 ? s.Length : e;
        long exp = 0;
        if (e >= 0 && !long.TryParse(s[(e + 1)..], System.Globalization.NumberStyles.AllowLeadingSign,
                System.Globalization.CultureInfo.InvariantCulture, out exp))
            return false;

        int first = -1, last = -1, point = -1, count = 0, beforePoint = 0, significant = 0;
        for (var i = start; i < end; i++)
        {
            var c = s[i];
            if (c == '.')
            {
                if (point >= 0) return false;
                point = i;
                continue;
            }
            if (c is < '0' or > '9') return false;
            count++;
            if (point < 0) beforePoint++;
            if (c != '0')
            {
                if (first < 0) first = i;
                last = i;
            }
        }
        if (count == 0) return false;
        if (first < 0)
        {
            negative = false;
            return true;
        }
        // Position of the first significant digit among all digits (0-based), and the digits up to the last one.
        var firstIndex = 0;
        for (var i = start; i < first; i++)
        {
            if (s[i] != '.') firstIndex++;
        }
        for (var i = first; i <= last; i++)
        {
            if (s[i] != '.') significant++;
        }
        exponent = exp + beforePoint - firstIndex;
        digits = new Digits(first, last - first + 1, significant);
        return true;
    }
}
