using System.Net;
using System.Text;
using CloudShelf.Sync.Cli.LocalMapping;

namespace CloudShelf.Sync.ChaosTests.Harness;

/// <summary>
/// An HTTP proxy in front of DynamoDB Local that refuses Scan calls as DynamoDB does when a table's
/// capacity is exceeded (HTTP 400, <c>ProvisionedThroughputExceededException</c>), so that a client
/// goes through the AWS SDK's own error handling and retries, then the caller's. DynamoDB Local never
/// throttles. Every other call, and the Scans let through, are forwarded unchanged.
/// </summary>
public sealed class ThrottlingProxy : IAsyncDisposable
{
    private const string ThrottlingBody =
        """{"__type":"com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException","message":"The level of configured provisioned throughput for the table was exceeded. Consider increasing your provisioning level with the UpdateTable API."}""";

    private readonly HttpClient _http = new();
    private readonly Uri _target;
    private readonly Func<int, bool> _throttle;
    private readonly LoopbackHttpServer _server;
    private int _scans;
    private int _throttled;

    /// <param name="target">DynamoDB Local's endpoint.</param>
    /// <param name="throttle">Given the 1-based number of a Scan request, whether to refuse it.</param>
    public ThrottlingProxy(string target, Func<int, bool> throttle)
    {
        _target = new Uri(target);
        _throttle = throttle;
        _server = LoopbackHttpServer.Start(HandleAsync);
    }

    /// <summary>The proxy's endpoint, for <c>CLOUDSHELF_DYNAMODB_ENDPOINT</c>.</summary>
    public string Endpoint => _server.Endpoint;

    /// <summary>Scan requests seen.</summary>
    public int Scans => Volatile.Read(ref _scans);

    /// <summary>Scan requests refused.</summary>
    public int Throttled => Volatile.Read(ref _throttled);

    private async Task HandleAsync(HttpListenerContext context, CancellationToken stopping)
    {
        var request = context.Request;
        var response = context.Response;
        using var body = new MemoryStream();
        await request.InputStream.CopyToAsync(body, stopping);
        var target = request.Headers["X-Amz-Target"] ?? "";
        if (target.EndsWith(".Scan", StringComparison.Ordinal) && _throttle(Interlocked.Increment(ref _scans)))
        {
            Interlocked.Increment(ref _throttled);
            response.StatusCode = 400;
            response.ContentType = "application/x-amz-json-1.0";
            await response.OutputStream.WriteAsync(Encoding.UTF8.GetBytes(ThrottlingBody), stopping);
            return;
        }

        using var forward = new HttpRequestMessage(new HttpMethod(request.HttpMethod), new Uri(_target, request.Url!.PathAndQuery))
        {
            Content = new ByteArrayContent(body.ToArray()),
        };
        foreach (var name in request.Headers.AllKeys)
        {
            if (name is null || name.Equals("Host", StringComparison.OrdinalIgnoreCase) || name.Equals("Content-Length", StringComparison.OrdinalIgnoreCase)
                || name.Equals("Connection", StringComparison.OrdinalIgnoreCase) || name.Equals("Expect", StringComparison.OrdinalIgnoreCase)
                || name.Equals("Accept-Encoding", StringComparison.OrdinalIgnoreCase)) continue;
            var value = request.Headers[name];
            if (!forward.Headers.TryAddWithoutValidation(name, value)) forward.Content.Headers.TryAddWithoutValidation(name, value);
        }
        try
        {
            using var answer = await _http.SendAsync(forward, stopping);
            var bytes = await answer.Content.ReadAsByteArrayAsync(stopping);
            response.StatusCode = (int)answer.StatusCode;
            response.ContentType = answer.Content.Headers.ContentType?.ToString();
            // The SDK checks the body against x-amz-crc32 and reads the request id: pass DynamoDB's own on.
            foreach (var (name, values) in answer.Headers)
            {
                if (name.StartsWith("x-amz", StringComparison.OrdinalIgnoreCase)) response.Headers[name] = string.Join(",", values);
            }
            await response.OutputStream.WriteAsync(bytes, stopping);
        }
        catch (HttpRequestException)
        {
            // DynamoDB Local could not be reached: a gateway's answer.
            response.StatusCode = 502;
        }
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await _server.DisposeAsync();
        _http.Dispose();
    }
}
