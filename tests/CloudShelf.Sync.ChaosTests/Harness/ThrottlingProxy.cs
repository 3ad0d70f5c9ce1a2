using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;

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

    private readonly HttpListener _listener = new();
    private readonly HttpClient _http = new();
    private readonly Uri _target;
    private readonly Func<int, bool> _throttle;
    private readonly Task _serving;
    private int _scans;
    private int _throttled;

    /// <param name="target">DynamoDB Local's endpoint.</param>
    /// <param name="throttle">Given the 1-based number of a Scan request, whether to refuse it.</param>
    public ThrottlingProxy(string target, Func<int, bool> throttle)
    {
        _target = new Uri(target);
        _throttle = throttle;
        var port = FreePort();
        Endpoint = "http://127.0.0.1:" + port.ToString(CultureInfo.InvariantCulture);
        _listener.Prefixes.Add(Endpoint + "/");
        _listener.Start();
        _serving = Task.Run(ServeAsync);
    }

    /// <summary>The proxy's endpoint, for <c>CLOUDSHELF_DYNAMODB_ENDPOINT</c>.</summary>
    public string Endpoint { get; }

    /// <summary>Scan requests seen.</summary>
    public int Scans => Volatile.Read(ref _scans);

    /// <summary>Scan requests refused.</summary>
    public int Throttled => Volatile.Read(ref _throttled);

    private static int FreePort()
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)socket.LocalEndPoint!).Port;
    }

    private async Task ServeAsync()
    {
        while (true)
        {
            HttpListenerContext context;
            try
            {
                context = await _listener.GetContextAsync();
            }
            catch (Exception e) when (e is HttpListenerException or ObjectDisposedException or InvalidOperationException)
            {
                return;
            }
            _ = Task.Run(() => HandleAsync(context));
        }
    }

    private async Task HandleAsync(HttpListenerContext context)
    {
        var request = context.Request;
        var response = context.Response;
        try
        {
            using var body = new MemoryStream();
            await request.InputStream.CopyToAsync(body);
            var target = request.Headers["X-Amz-Target"] ?? "";
            if (target.EndsWith(".Scan", StringComparison.Ordinal) && _throttle(Interlocked.Increment(ref _scans)))
            {
                Interlocked.Increment(ref _throttled);
                response.StatusCode = 400;
                response.ContentType = "application/x-amz-json-1.0";
                await response.OutputStream.WriteAsync(Encoding.UTF8.GetBytes(ThrottlingBody));
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
            using var answer = await _http.SendAsync(forward);
            response.StatusCode = (int)answer.StatusCode;
            response.ContentType = answer.Content.Headers.ContentType?.ToString();
            // The SDK checks the body against x-amz-crc32 and reads the request id: pass DynamoDB's own on.
            foreach (var (name, values) in answer.Headers)
            {
                if (name.StartsWith("x-amz", StringComparison.OrdinalIgnoreCase)) response.Headers[name] = string.Join(",", values);
            }
            var bytes = await answer.Content.ReadAsByteArrayAsync();
            await response.OutputStream.WriteAsync(bytes);
        }
        catch (Exception e) when (e is HttpRequestException or HttpListenerException or IOException)
        {
            response.StatusCode = 502;
        }
        finally
        {
            try
            {
                response.Close();
            }
            catch (Exception e) when (e is HttpListenerException or ObjectDisposedException or InvalidOperationException)
            {
                // The client went away.
            }
        }
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        _listener.Close();
        try
        {
            await _serving;
        }
        catch (ObjectDisposedException)
        {
            // Closed while waiting for a request.
        }
        _http.Dispose();
    }
}
