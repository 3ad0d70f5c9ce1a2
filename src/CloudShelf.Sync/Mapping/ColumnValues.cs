using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Json;
using CloudShelf.Sync.Streams;

namespace CloudShelf.Sync.Mapping;

/// <summary>How an attribute value fits a typed column.</summary>
internal enum Fit
{
    /// <summary>The column holds the value, and the value can be rebuilt from the column exactly.</summary>
    Exact,
    /// <summary>The column holds the value, but not its exact spelling: the original is kept in <c>attributes</c> too.</summary>
    KeepOriginal,
    /// <summary>The value does not fit: the column is NULL and the original is kept in <c>attributes</c>.</summary>
    No,
}

/// <summary>
/// Conversions between attribute values and column values. Column values are plain CLR values:
/// text, numeric and jsonb as <see cref="string"/> (numeric keeps every digit that way),
/// integer as <see cref="int"/>, boolean as <see cref="bool"/>, date as <see cref="DateOnly"/>,
/// timestamptz as UTC <see cref="DateTime"/>, text[] as <see cref="string"/>[].
/// </summary>
internal static class ColumnValues
{
    // JavaScript's toISOString form, what Phase 1 wrote: rebuilt exactly from a timestamptz.
    private const string CanonicalTimestamp = "yyyy-MM-dd'T'HH:mm:ss.fff'Z'";

    private static readonly string[] TimestampFormats =
    [
        "yyyy-MM-dd'T'HH:mm:ss.FFFFFFFK",
        "yyyy-MM-dd'T'HH:mm:ssK",
        "yyyy-MM-dd'T'HH:mm:ss.FFFFFFF",
        "yyyy-MM-dd'T'HH:mm:ss",
        "yyyy-MM-dd' 'HH:mm:ss.FFFFFFFK",
        "yyyy-MM-dd' 'HH:mm:ssK",
    ];

    public static Fit ToColumn(ColumnType type, AttributeValue value, out object? column)
    {
        column = null;
        switch (type)
        {
            case ColumnType.Text when value.Type == AttributeType.S && !value.Text.Contains('\0', StringComparison.Ordinal):
                column = value.Text;
                return Fit.Exact;

            case ColumnType.Numeric when value.Type == AttributeType.N:
                return Numeric(value.Text, out column);

            case ColumnType.Integer when value.Type == AttributeType.N:
                return Integer(value.Text, out column);

            case ColumnType.Boolean when value.Type == AttributeType.BOOL:
                column = value.BOOL!.Value;
                return Fit.Exact;

            case ColumnType.Date when value.Type == AttributeType.S:
                if (value.Text.Length == 10 && DateOnly.TryParseExact(value.Text, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var date))
                {
                    column = date;
                    return Fit.Exact;
                }
                return Fit.No;

            case ColumnType.Timestamp when value.Type == AttributeType.S:
                return Timestamp(value.Text, out column);

            case ColumnType.TextArray when value.Type == AttributeType.SS:
                if (value.SS!.Any(s => s.Contains('\0', StringComparison.Ordinal))) return Fit.No;
                column = value.SS!.ToArray();
                return Fit.Exact;

            case ColumnType.Json when value.Type == AttributeType.M:
                return PlainJson(value, out column);

            default:
                return Fit.No;
        }
    }

    public static AttributeValue FromColumn(ColumnType type, object column) => type switch
    {
        ColumnType.Text => AttributeValue.FromS((string)column),
        ColumnType.Numeric => AttributeValue.FromN((string)column),
        ColumnType.Integer => AttributeValue.FromN(((int)column).ToString(CultureInfo.InvariantCulture)),
        ColumnType.Boolean => AttributeValue.FromBool((bool)column),
        ColumnType.Date => AttributeValue.FromS(((DateOnly)column).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)),
        ColumnType.Timestamp => AttributeValue.FromS(FormatTimestamp((DateTime)column)),
        ColumnType.TextArray => AttributeValue.FromSS((string[])column),
        ColumnType.Json => FromPlainJson((string)column),
        _ => throw new ArgumentOutOfRangeException(nameof(type), type, null),
    };

    private static Fit Numeric(string text, out object? column)
    {
        column = null;
        if (IsCanonicalDecimal(text))
        {
            column = text;
            return Fit.Exact;
        }
        if (!IsNumber(text, out var exponent) || Math.Abs(exponent) > 1000) return Fit.No;
        column = text;
        return Fit.KeepOriginal;
    }

    private static Fit Integer(string text, out object? column)
    {
        column = null;
        if (IsCanonicalDecimal(text) && !text.Contains('.', StringComparison.Ordinal)
            && int.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var exact))
        {
            column = exact;
            return Fit.Exact;
        }
        // "5.0" or "5E+0" is still the whole number 5; anything else (1E+30, 2.5) does not fit.
        if (IsNumber(text, out var exponent) && Math.Abs(exponent) <= 30 && IsWholeNumber(text, exponent)
            && decimal.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var d)
            && d == decimal.Truncate(d) && d is >= int.MinValue and <= int.MaxValue)
        {
            column = (int)d;
            return Fit.KeepOriginal;
        }
        return Fit.No;
    }

    /// <summary>
    /// Whether a DynamoDB number is whole, decided on its digits: <see cref="decimal"/> rounds beyond
    /// 28 decimal places, so "1.0000000000000000000000000000001" would otherwise pass for 1.
    /// </summary>
    private static bool IsWholeNumber(ReadOnlySpan<char> text, int exponent)
    {
        var s = text.TrimStart("+-");
        var e = s.IndexOfAny('e', 'E');
        var mantissa = e < 0 ? s : s[..e];
        var dot = mantissa.IndexOf('.');
        var whole = dot < 0 ? mantissa : mantissa[..dot];
        var fraction = dot < 0 ? [] : mantissa[(dot + 1)..];
        // The digits right of the point once the exponent moves it; all of them must be zeros.
        var fractional = fraction.Length - exponent;
        if (fractional <= 0) return true;
        if (fraction[Math.Max(0, fraction.Length - fractional)..].ContainsAnyExcept('0')) return false;
        var fromWhole = fractional - fraction.Length;
        return fromWhole <= 0 || !whole[Math.Max(0, whole.Length - fromWhole)..].ContainsAnyExcept('0');
    }

    private static Fit Timestamp(string text, out object? column)
    {
        if (TryParseCanonicalTimestamp(text, out var canonical))
        {
            column = canonical;
            return Fit.Exact;
        }
        column = null;
        if (!DateTimeOffset.TryParseExact(text, TimestampFormats, CultureInfo.InvariantCulture,
                DateTimeStyles.AssumeUniversal, out var instant))
            return Fit.No;
        // timestamptz keeps microseconds; round ticks away so what is stored is what is rebuilt.
        var utc = instant.UtcDateTime;
        utc = new DateTime(utc.Ticks - utc.Ticks % 10, DateTimeKind.Utc);
        column = utc;
        return string.Equals(FormatTimestamp(utc), text, StringComparison.Ordinal) ? Fit.Exact : Fit.KeepOriginal;
    }

    /// <summary>
    /// The canonical form (what nearly every Phase 1 item holds) parsed by hand: a tenth of the
    /// cost of a format-driven parse, which matters at twelve timestamps per order line batch.
    /// </summary>
    private static bool TryParseCanonicalTimestamp(string text, out DateTime utc)
    {
        utc = default;
        var s = text.AsSpan();
        if (s.Length != 24 || s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':' || s[16] != ':' || s[19] != '.' || s[23] != 'Z')
            return false;
        if (!Digits(s[..4], out var year) || !Digits(s[5..7], out var month) || !Digits(s[8..10], out var day)
            || !Digits(s[11..13], out var hour) || !Digits(s[14..16], out var minute) || !Digits(s[17..19], out var second)
            || !Digits(s[20..23], out var millisecond))
            return false;
        if (year < 1 || month is < 1 or > 12 || day < 1 || day > DateTime.DaysInMonth(year, month) || hour > 23 || minute > 59 || second > 59)
            return false;
        utc = new DateTime(year, month, day, hour, minute, second, millisecond, DateTimeKind.Utc);
        return true;
    }

    private static bool Digits(ReadOnlySpan<char> s, out int value)
    {
        value = 0;
        foreach (var c in s)
        {
            if (c is < '0' or > '9') return false;
            value = value * 10 + (c - '0');
        }
        return true;
    }

    public static string FormatTimestamp(DateTime utc) =>
        utc.ToString(CanonicalTimestamp, CultureInfo.InvariantCulture);

    /// <summary>-?(0|[1-9][0-9]*)(.[0-9]+)? and not a negative zero: the text PostgreSQL gives back for a numeric.</summary>
    internal static bool IsCanonicalDecimal(ReadOnlySpan<char> text)
    {
        var negative = text.StartsWith('-');
        var s = negative ? text[1..] : text;
        var dot = s.IndexOf('.');
        var whole = dot < 0 ? s : s[..dot];
        var fraction = dot < 0 ? [] : s[(dot + 1)..];
        if (whole.IsEmpty || (whole.Length > 1 && whole[0] == '0') || !AllDigits(whole)) return false;
        if (dot >= 0 && (fraction.IsEmpty || !AllDigits(fraction))) return false;
        if (negative && whole is "0" && !fraction.ContainsAnyExcept('0')) return false;
        return true;
    }

    /// <summary>A DynamoDB number: [+-]digits[.digits][e[+-]digits], at least one digit in the mantissa.</summary>
    internal static bool IsNumber(ReadOnlySpan<char> text, out int exponent)
    {
        exponent = 0;
        var s = text.StartsWith('-') || text.StartsWith('+') ? text[1..] : text;
        var e = s.IndexOfAny('e', 'E');
        var mantissa = e < 0 ? s : s[..e];
        var dot = mantissa.IndexOf('.');
        var digits = dot < 0 ? mantissa : string.Concat(mantissa[..dot], mantissa[(dot + 1)..]).AsSpan();
        if (digits.IsEmpty || !AllDigits(digits) || mantissa[(dot + 1)..].Contains('.')) return false;
        if (e < 0) return true;
        var exp = s[(e + 1)..];
        return int.TryParse(exp, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out exponent)
               && !exp.IsEmpty && AllDigits(exp.TrimStart("+-"));
    }

    private static bool AllDigits(ReadOnlySpan<char> s) => !s.IsEmpty && !s.ContainsAnyExceptInRange('0', '9');

    /// <summary>
    /// An M as plain JSON that PostgreSQL code can query (<c>address-&gt;&gt;'city'</c>). Sets and binary
    /// have no plain JSON form, so a map holding them does not fit.
    /// </summary>
    private static Fit PlainJson(AttributeValue map, out object? column)
    {
        column = null;
        var buffer = new ArrayBufferWriter<byte>(256);
        var exact = true;
        using (var writer = new Utf8JsonWriter(buffer))
        {
            if (!WritePlain(writer, map, ref exact)) return Fit.No;
        }
        column = Encoding.UTF8.GetString(buffer.WrittenSpan);
        return exact ? Fit.Exact : Fit.KeepOriginal;
    }

    private static bool WritePlain(Utf8JsonWriter writer, AttributeValue value, ref bool exact)
    {
        switch (value.Type)
        {
            case AttributeType.S:
                // jsonb cannot hold U+0000.
                if (value.Text.Contains('\0', StringComparison.Ordinal)) return false;
                writer.WriteStringValue(value.Text);
                return true;
            case AttributeType.N:
                if (!IsNumber(value.Text, out var exponent) || Math.Abs(exponent) > 1000 || value.Text[0] == '+'
                    || value.Text.AsSpan().TrimStart('-').StartsWith('.'))
                    return false;
                // jsonb stores numbers as numeric, so only the canonical spelling survives exactly.
                if (!IsCanonicalDecimal(value.Text)) exact = false;
                if (!IsJsonNumber(value.Text)) return false;
                writer.WriteRawValue(value.Text, skipInputValidation: true);
                return true;
            case AttributeType.BOOL:
                writer.WriteBooleanValue(value.BOOL!.Value);
                return true;
            case AttributeType.NULL:
                writer.WriteNullValue();
                return true;
            case AttributeType.M:
                writer.WriteStartObject();
                foreach (var (name, inner) in value.M!)
                {
                    if (name.Contains('\0', StringComparison.Ordinal)) return false;
                    writer.WritePropertyName(name);
                    if (!WritePlain(writer, inner, ref exact)) return false;
                }
                writer.WriteEndObject();
                return true;
            case AttributeType.L:
                writer.WriteStartArray();
                foreach (var inner in value.L!)
                {
                    if (!WritePlain(writer, inner, ref exact)) return false;
                }
                writer.WriteEndArray();
                return true;
            default:
                return false;
        }
    }

    private static bool IsJsonNumber(string text)
    {
        // JSON forbids leading zeros ("007") and a bare trailing dot ("5.").
        var s = text.AsSpan().TrimStart('-');
        var e = s.IndexOfAny('e', 'E');
        var mantissa = e < 0 ? s : s[..e];
        var dot = mantissa.IndexOf('.');
        var whole = dot < 0 ? mantissa : mantissa[..dot];
        if (whole.IsEmpty || (whole.Length > 1 && whole[0] == '0')) return false;
        return dot < 0 || dot < mantissa.Length - 1;
    }

    public static AttributeValue FromPlainJson(string json)
    {
        var reader = new Utf8JsonReader(Encoding.UTF8.GetBytes(json), Streams.StreamEventSerializer.ReaderOptions);
        reader.Read();
        return ReadPlain(ref reader);
    }

    private static AttributeValue ReadPlain(ref Utf8JsonReader reader)
    {
        switch (reader.TokenType)
        {
            case JsonTokenType.String:
                return AttributeValue.FromS(reader.GetString()!);
            case JsonTokenType.Number:
                return AttributeValue.FromN(Encoding.UTF8.GetString(reader.ValueSpan));
            case JsonTokenType.True:
                return AttributeValue.True;
            case JsonTokenType.False:
                return AttributeValue.False;
            case JsonTokenType.Null:
                return AttributeValue.Null;
            case JsonTokenType.StartObject:
                var map = new Dictionary<string, AttributeValue>(StringComparer.Ordinal);
                while (reader.Read() && reader.TokenType != JsonTokenType.EndObject)
                {
                    var name = reader.GetString()!;
                    reader.Read();
                    map[name] = ReadPlain(ref reader);
                }
                return AttributeValue.FromM(map);
            case JsonTokenType.StartArray:
                var list = new List<AttributeValue>();
                while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
                    list.Add(ReadPlain(ref reader));
                return AttributeValue.FromL(list);
            default:
                throw new JsonException($"Unexpected {reader.TokenType} in a jsonb column.");
        }
    }

    /// <summary>A PostgreSQL array literal for a text[] value: every element quoted and escaped.</summary>
    public static string ArrayLiteral(string[] values)
    {
        var builder = new StringBuilder(values.Sum(v => v.Length + 3) + 2);
        builder.Append('{');
        for (var i = 0; i < values.Length; i++)
        {
            if (i > 0) builder.Append(',');
            builder.Append('"');
            foreach (var c in values[i])
            {
                if (c is '"' or '\\') builder.Append('\\');
                builder.Append(c);
            }
            builder.Append('"');
        }
        return builder.Append('}').ToString();
    }
}
