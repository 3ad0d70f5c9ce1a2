using System.Text;

namespace CloudShelf.Sync.Postgres;

/// <summary>
/// Text as PostgreSQL can store it. PostgreSQL's text cannot hold U+0000, and Npgsql refuses to
/// encode a lone surrogate; both are written as the six characters of their JSON escape
/// (<c>\u0000</c>), so the quarantine keeps a readable trace of them instead of failing.
/// </summary>
internal static class StorableText
{
    /// <summary>True when the text has nothing PostgreSQL or Npgsql would refuse.</summary>
    public static bool IsStorable(string? text)
    {
        if (text is null) return true;
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (c == '\0') return false;
            if (char.IsHighSurrogate(c))
            {
                if (i + 1 >= text.Length || !char.IsLowSurrogate(text[i + 1])) return false;
                i++;
            }
            else if (char.IsLowSurrogate(c)) return false;
        }
        return true;
    }

    /// <summary>The text with every character PostgreSQL cannot store escaped; the text itself when there is none.</summary>
    public static string? Escape(string? text)
    {
        if (IsStorable(text)) return text;
        var builder = new StringBuilder(text!.Length + 16);
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                builder.Append(c).Append(text[++i]);
            }
            else if (c == '\0' || char.IsSurrogate(c))
            {
                builder.Append("\\u").Append(((int)c).ToString("x4", System.Globalization.CultureInfo.InvariantCulture));
            }
            else
            {
                builder.Append(c);
            }
        }
        return builder.ToString();
    }
}
