using System.Text.RegularExpressions;

namespace CloudShelf.Sync.Observability;

/// <summary>Keeps secrets and full e-mail addresses out of logs and of the errors posted to the Runtime API.</summary>
internal static partial class Redaction
{
    internal const string Masked = "***";

    internal static bool IsSensitiveName(string name) =>
        name.Contains("password", StringComparison.OrdinalIgnoreCase)
        || name.Contains("secret", StringComparison.OrdinalIgnoreCase)
        || name.Contains("token", StringComparison.OrdinalIgnoreCase)
        || name.Contains("connection", StringComparison.OrdinalIgnoreCase);

    internal static string Mask(string text)
    {
        // The substring checks keep the common case (nothing to mask) free of regex work.
        // Passwords go first so that one containing '@' is not half-revealed as an "e-mail".
        if (text.Contains("assword", StringComparison.OrdinalIgnoreCase))
        {
            text = PasswordSetting().Replace(text, "${key}" + Masked);
        }

        if (text.Contains('@', StringComparison.Ordinal))
        {
            text = EmailAddress().Replace(text, "${first}" + Masked + "@${domain}");

            // URL credentials (postgres://user:secret@host): after the e-mail pattern, which leaves
            // the secret's first character, so that nothing of it remains.
            if (text.Contains("://", StringComparison.Ordinal))
            {
                text = UrlCredentials().Replace(text, "${scheme}${user}:" + Masked + "@");
            }
        }

        return text;
    }

    // Npgsql connection strings carry "Password=...;"; the value runs to the next ';' or the end.
    [GeneratedRegex(@"(?<key>password\s*=\s*)[^;]*", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex PasswordSetting();

    [GeneratedRegex(@"(?<scheme>[A-Za-z][A-Za-z0-9+.-]*://)(?<user>[^\s/:@]*):[^\s/@]*@", RegexOptions.CultureInvariant)]
    private static partial Regex UrlCredentials();

    // The local part is bounded at its RFC 5321 maximum of 64 so a long run before an '@' cannot go quadratic.
    [GeneratedRegex(@"(?<first>[^\s@""<>(),;:])[^\s@""<>(),;:]{0,63}@(?<domain>[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+)", RegexOptions.CultureInvariant)]
    private static partial Regex EmailAddress();
}
