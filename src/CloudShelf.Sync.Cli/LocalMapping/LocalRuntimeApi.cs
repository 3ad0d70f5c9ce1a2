using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Text;
using System.Threading.Channels;

namespace CloudShelf.Sync.Cli.LocalMapping;

/// <summary>
/// The Lambda Runtime API (2018-06-01) on a loopback port, as Lambda serves it to a custom runtime:
/// <c>GET /runtime/invocation/next</c> hands out queued invocations (to however many runtimes poll),
/// <c>POST .../response</c> and <c>.../error</c> complete them.
/// </summary>
internal sealed class LocalRuntimeApi : IAsyncDisposable
{
    private const string Prefix = "/2018-06-01/runtime/";
    private const string Stopped = "The local Runtime API stopped.";
    private readonly Channel<Pending> _pending = Channel.CreateUnbounded<Pending>();
    private readonly ConcurrentDictionary<string, Pending> _inFlight = new(StringComparer.Ordinal);
    private readonly TaskCompletionSource<string> _initError = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly LoopbackHttpServer _server;

    private LocalRuntimeApi() => _server = LoopbackHttpServer.Start(HandleAsync);

    /// <summary>The value for <c>AWS_LAMBDA_RUNTIME_API</c>.</summary>
    public string HostAndPort => _server.HostAndPort;

    /// <summary>Completes with the body a runtime posted to <c>/runtime/init/error</c>.</summary>
    public Task<string> InitError => _initError.Task;

    public static LocalRuntimeApi Start() => new();

    /// <summary>Queues an invocation and waits for the runtime's answer: (true, response) or (false, error body).</summary>
    public async Task<(bool Ok, string Body)> InvokeAsync(byte[] payload, DateTimeOffset deadline, CancellationToken cancellationToken)
    {
        var pending = new Pending(Guid.NewGuid().ToString(), payload, deadline);
        using var registration = cancellationToken.Register(() => pending.Outcome.TrySetCanceled(cancellationToken));
        if (!_pending.Writer.TryWrite(pending)) return (false, Stopped);
        return await pending.Outcome.Task;
    }

    private async Task HandleAsync(HttpListenerContext context, CancellationToken stopping)
    {
        var request = context.Request;
        var response = context.Response;
        var path = request.Url!.AbsolutePath;
        if (request.HttpMethod == "GET" && path == Prefix + "invocation/next")
        {
            var pending = await _pending.Reader.ReadAsync(stopping);
            _inFlight[pending.RequestId] = pending;
            try
            {
                response.StatusCode = 200;
                response.Headers["Lambda-Runtime-Aws-Request-Id"] = pending.RequestId;
                response.Headers["Lambda-Runtime-Deadline-Ms"] = pending.Deadline.ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture);
                response.Headers["Lambda-Runtime-Invoked-Function-Arn"] = "arn:aws:lambda:us-east-1:000000000000:function:cloudshelf-sync-local-stream-sync";
                response.ContentType = "application/json";
                response.ContentLength64 = pending.Payload.Length;
                await response.OutputStream.WriteAsync(pending.Payload, stopping);
            }
            catch (Exception e) when (e is HttpListenerException or IOException or ObjectDisposedException)
            {
                // The runtime went away before it had the invocation: it fails now, not at its deadline.
                if (_inFlight.TryRemove(pending.RequestId, out _))
                    pending.Outcome.TrySetResult((false, $"The runtime's connection closed before the invocation reached it: {e.Message}"));
            }
            return;
        }

        if (request.HttpMethod == "POST" && path.StartsWith(Prefix, StringComparison.Ordinal))
        {
            using var reader = new StreamReader(request.InputStream, Encoding.UTF8);
            var body = await reader.ReadToEndAsync(stopping);
            var parts = path[Prefix.Length..].Split('/');
            if (parts is ["init", "error"])
            {
                _initError.TrySetResult(body);
                response.StatusCode = 202;
                return;
            }
            if (parts is ["invocation", var id, "response" or "error"] && _inFlight.TryRemove(Uri.UnescapeDataString(id), out var pending))
            {
                pending.Outcome.TrySetResult((parts[2] == "response", body));
                response.StatusCode = 202;
                return;
            }
            response.StatusCode = 400;
            return;
        }
        response.StatusCode = 404;
    }

    public async ValueTask DisposeAsync()
    {
        await _server.DisposeAsync();
        // Nothing waits for an answer that can no longer come: neither what a runtime took nor what none took yet.
        _pending.Writer.TryComplete();
        while (_pending.Reader.TryRead(out var queued)) queued.Outcome.TrySetResult((false, Stopped));
        foreach (var pending in _inFlight.Values) pending.Outcome.TrySetResult((false, Stopped));
    }

    private sealed record Pending(string RequestId, byte[] Payload, DateTimeOffset Deadline)
    {
        public TaskCompletionSource<(bool Ok, string Body)> Outcome { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
