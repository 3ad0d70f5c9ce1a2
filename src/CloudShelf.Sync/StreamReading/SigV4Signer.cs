using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace CloudShelf.Sync.StreamReading;

/// <summary>
/// AWS Signature Version 4 (header form, <c>AWS4-HMAC-SHA256</c>) as AWS documents it: a canonical
/// request (method, path, query, headers, payload hash), the string to sign over its hash and the
/// credential scope, and an HMAC chain from the secret key down to the day, region and service.
/// Tested against AWS's published examples and against the AWS SDK's own signer.
/// </summary>
internal static class SigV4Signer
{
    private const string Algorithm = "AWS4-HMAC-SHA256";

    /// <summary>
    /// The headers a request must carry to be signed: <c>X-Amz-Date</c>, <c>X-Amz-Security-Token</c>
    /// when there is a session token, and <c>Authorization</c>. Every header in
    /// <paramref name="headers"/> is signed (with the two above), so pass exactly those the request
    /// will send (<c>host</c> included), with the values it will send.
    /// </summary>
    /// <param name="method">The HTTP method, e.g. <c>POST</c>.</param>
    /// <param name="path">The request's path as sent (percent-encoded); empty means <c>/</c>.</param>
    /// <param name="query">The query parameters, not encoded, in any order.</param>
    /// <param name="headers">The headers to sign; names in any case, repeated names allowed.</param>
    /// <param name="body">The request's payload.</param>
    /// <param name="region">The signing region.</param>
    /// <param name="service">The signing service name (DynamoDB Streams signs as <c>dynamodb</c>).</param>
    /// <param name="accessKey">The access key id.</param>
    /// <param name="secretKey">The secret access key.</param>
    /// <param name="sessionToken">The session token of temporary credentials; null for long-term ones.</param>
    /// <param name="now">The signing time.</param>
    public static IReadOnlyList<KeyValuePair<string, string>> Sign(
        string method, string path, IEnumerable<KeyValuePair<string, string>> query, IEnumerable<KeyValuePair<string, string>> headers,
        ReadOnlySpan<byte> body, string region, string service, string accessKey, string secretKey, string? sessionToken, DateTimeOffset now)
    {
        var amzDate = now.UtcDateTime.ToString("yyyyMMdd'T'HHmmss'Z'", CultureInfo.InvariantCulture);
        var signed = headers.Append(new("x-amz-date", amzDate)).ToList();
        if (sessionToken is not null) signed.Add(new("x-amz-security-token", sessionToken));

        var (canonicalRequest, signedHeaders) = CanonicalRequest(method, path, query, signed, body);
        var scope = $"{amzDate[..8]}/{region}/{service}/aws4_request";
        var stringToSign = $"{Algorithm}\n{amzDate}\n{scope}\n{Hex(SHA256.HashData(Encoding.UTF8.GetBytes(canonicalRequest)))}";
        var signature = Hex(HMACSHA256.HashData(SigningKey(secretKey, amzDate[..8], region, service), Encoding.UTF8.GetBytes(stringToSign)));

        var result = new List<KeyValuePair<string, string>> { new("X-Amz-Date", amzDate) };
        if (sessionToken is not null) result.Add(new("X-Amz-Security-Token", sessionToken));
        result.Add(new("Authorization", $"{Algorithm} Credential={accessKey}/{scope}, SignedHeaders={signedHeaders}, Signature={signature}"));
        return result;
    }

    /// <summary>The payload's SHA-256 in lower-case hex, as the canonical request and <c>X-Amz-Content-SHA256</c> carry it.</summary>
    public static string PayloadHash(ReadOnlySpan<byte> body) => Hex(SHA256.HashData(body));

    /// <summary>The derived signing key: HMAC-SHA256 from <c>"AWS4" + secret</c> over the date (yyyyMMdd), region, service and <c>aws4_request</c>.</summary>
    public static byte[] SigningKey(string secretKey, string date, string region, string service)
    {
        var key = Hmac(Encoding.UTF8.GetBytes("AWS4" + secretKey), date);
        key = Hmac(key, region);
        key = Hmac(key, service);
        return Hmac(key, "aws4_request");
    }

    /// <summary>The canonical request and the signed-headers list it names.</summary>
    public static (string CanonicalRequest, string SignedHeaders) CanonicalRequest(
        string method, string path, IEnumerable<KeyValuePair<string, string>> query, IEnumerable<KeyValuePair<string, string>> headers,
        ReadOnlySpan<byte> body)
    {
        // Parameters sort by encoded name, then encoded value (a repeated name keeps every value).
        var canonicalQuery = string.Join('&', query
            .Select(p => (Name: Encode(p.Key), Value: Encode(p.Value)))
            .OrderBy(p => p.Name, StringComparer.Ordinal).ThenBy(p => p.Value, StringComparer.Ordinal)
            .Select(p => p.Name + "=" + p.Value));
        // Lower-case names, sorted; a repeated header's values joined by commas in the order given;
        // values trimmed and inner runs of spaces reduced to one.
        var canonicalHeaders = headers
            .GroupBy(h => h.Key.ToLowerInvariant(), StringComparer.Ordinal)
            .OrderBy(g => g.Key, StringComparer.Ordinal)
            .Select(g => (Name: g.Key, Value: string.Join(',', g.Select(h => CollapseSpaces(h.Value)))))
            .ToList();
        var signedHeaders = string.Join(';', canonicalHeaders.Select(h => h.Name));
        var request = new StringBuilder()
            .Append(method).Append('\n')
            .Append(path.Length == 0 ? "/" : path).Append('\n')
            .Append(canonicalQuery).Append('\n');
        foreach (var (name, value) in canonicalHeaders) request.Append(name).Append(':').Append(value).Append('\n');
        request.Append('\n').Append(signedHeaders).Append('\n').Append(PayloadHash(body));
        return (request.ToString(), signedHeaders);
    }

    /// <summary>RFC 3986 percent-encoding of everything but the unreserved characters, upper-case hex, UTF-8.</summary>
    private static string Encode(string value)
    {
        var encoded = new StringBuilder(value.Length);
        foreach (var b in Encoding.UTF8.GetBytes(value))
        {
            if (b is >= (byte)'A' and <= (byte)'Z' or >= (byte)'a' and <= (byte)'z' or >= (byte)'0' and <= (byte)'9'
                or (byte)'-' or (byte)'_' or (byte)'.' or (byte)'~')
                encoded.Append((char)b);
            else
                encoded.Append('%').Append(b.ToString("X2", CultureInfo.InvariantCulture));
        }
        return encoded.ToString();
    }

    private static string CollapseSpaces(string value)
    {
        var trimmed = value.Trim();
        if (!trimmed.Contains("  ", StringComparison.Ordinal)) return trimmed;
        var collapsed = new StringBuilder(trimmed.Length);
        foreach (var c in trimmed)
        {
            if (c == ' ' && collapsed.Length > 0 && collapsed[^1] == ' ') continue;
            collapsed.Append(c);
        }
        return collapsed.ToString();
    }

    private static byte[] Hmac(byte[] key, string data) => HMACSHA256.HashData(key, Encoding.UTF8.GetBytes(data));

    private static string Hex(byte[] bytes) => Convert.ToHexStringLower(bytes);
}
