using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace CloudShelf.Sync.StreamReading;

/// <summary>
/// AWS Signature Version 4 for a JSON POST to <c>/</c>: the headers the request must carry. The
/// documented algorithm, kept to the one request shape the Streams client sends.
/// </summary>
internal static class SigV4Signer
{
    public static IReadOnlyList<KeyValuePair<string, string>> Sign(
        string host, string region, string service, string target, ReadOnlySpan<byte> body,
        string accessKey, string secretKey, string? sessionToken, DateTimeOffset now)
    {
        var amzDate = now.UtcDateTime.ToString("yyyyMMdd'T'HHmmss'Z'", CultureInfo.InvariantCulture);
        var date = amzDate[..8];
        var headers = new SortedDictionary<string, string>(StringComparer.Ordinal)
        {
            ["content-type"] = DynamoDbStreamsClient.ContentType,
            ["host"] = host,
            ["x-amz-date"] = amzDate,
            ["x-amz-target"] = target,
        };
        if (sessionToken is not null) headers["x-amz-security-token"] = sessionToken;

        var canonicalHeaders = new StringBuilder();
        foreach (var (name, value) in headers) canonicalHeaders.Append(name).Append(':').Append(value.Trim()).Append('\n');
        var signedHeaders = string.Join(';', headers.Keys);
        var canonicalRequest = $"POST\n/\n\n{canonicalHeaders}\n{signedHeaders}\n{Hex(SHA256.HashData(body))}";
        var scope = $"{date}/{region}/{service}/aws4_request";
        var stringToSign = $"AWS4-HMAC-SHA256\n{amzDate}\n{scope}\n{Hex(SHA256.HashData(Encoding.UTF8.GetBytes(canonicalRequest)))}";

        var key = Hmac(Encoding.UTF8.GetBytes("AWS4" + secretKey), date);
        key = Hmac(key, region);
        key = Hmac(key, service);
        key = Hmac(key, "aws4_request");
        var signature = Hex(Hmac(key, stringToSign));

        var result = new List<KeyValuePair<string, string>>
        {
            new("X-Amz-Date", amzDate),
            new("Authorization", $"AWS4-HMAC-SHA256 Credential={accessKey}/{scope}, SignedHeaders={signedHeaders}, Signature={signature}"),
        };
        if (sessionToken is not null) result.Add(new("X-Amz-Security-Token", sessionToken));
        return result;
    }

    private static byte[] Hmac(byte[] key, string data) => HMACSHA256.HashData(key, Encoding.UTF8.GetBytes(data));

    private static string Hex(byte[] bytes) => Convert.ToHexStringLower(bytes);
}
