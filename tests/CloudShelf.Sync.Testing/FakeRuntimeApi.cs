using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Text;
using System.Threading.Channels;

namespace CloudShelf.Sync.Testing;

/// <summary>What the runtime posted for one invocation (or at start-up).</summary>
/// <param name="Kind"><c>response</c>, <c>error</c> or <c>init-error</c>.</param>
/// <param name="RequestId">The invocation, or null for an init error.</param>
/// <param name="Body">The posted body.</param>
/// <param name="ErrorType">The Lambda-Runtime-Function-Error-Type header, if any.</param>
/// <param name="At">When it arrived.</param>
public sealed record RuntimeOutcome(string Kind, string? RequestId, string Body, string? ErrorType, DateTimeOffset At);

/// <summary>
/// The Lambda Runtime API (2018-06-01) over real HTTP on a free loopback port, as Lambda (or
/// <c>sam local invoke</c>) serves it to a custom runtime: tests queue invocations and read what
/// the runtime posted back.
/// </summary>
public sealed class FakeRuntimeApi : IAsyncDisposable
{
    private readonly HttpListener _listener = new();
    private readonly Channel<(string RequestId, byte[] Payload, DateTimeOffset Deadline, string? TraceId)> _pending =
        Channel.CreateUnbounded<(string, byte[], DateTimeOffset, string?)>();
    private readonly ConcurrentDictionary<string, TaskCompletionSource<RuntimeOutcome>> _waiting = new();
    private readonly TaskCompletionSource<RuntimeOutcome> _initError = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _firstPoll = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _serving;

    private FakeRuntimeApi(int port)
    {
        HostAndPort = $"127.0.0.1:{port}";
        _listener.Prefixes.Add($"http://{HostAndPort}/");
        _listener.Start();
        _serving = Task.Run(ServeAsync);
    }

    /// <summary>The value for AWS_LAMBDA_RUNTIME_API.</summary>
    public string HostAndPort { get; }

    /// <summary>Completes when the runtime first asks for an invocation: its start-up is over.</summary>
    public Task FirstPoll => _firstPoll.Task;

    /// <summary>Completes when the runtime reports an init error.</summary>
    public Task<RuntimeOutcome> InitError => _initError.Task;

    /// <summary>Starts the API on a free port.</summary>
    public static FakeRuntimeApi Start()
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return new FakeRuntimeApi(FreeTcpPort.Next());
            }
            catch (HttpListenerException) when (attempt < 3)
            {
                // Another process took the port between probing and binding.
            }
        }
    }

    /// <summary>Queues an invocation and waits for what the runtime posts for it; <see cref="TimeSpan.MaxValue"/> sends no deadline header.</summary>
    public async Task<RuntimeOutcome> InvokeAsync(byte[] payload, TimeSpan? timeLeft = null, string? traceId = null, TimeSpan? wait = null)
    {
        var requestId = Guid.NewGuid().ToString();
        var outcome = new TaskCompletionSource<RuntimeOutcome>(TaskCreationOptions.RunContinuationsAsynchronously);
        _waiting[requestId] = outcome;
        var deadline = timeLeft == TimeSpan.MaxValue ? DateTimeOffset.MaxValue : DateTimeOffset.UtcNow + (timeLeft ?? TimeSpan.FromMinutes(5));
        await _pending.Writer.WriteAsync((requestId, payload, deadline, traceId));
        return await outcome.Task.WaitAsync(wait ?? TimeSpan.FromSeconds(60));
    }

    private async Task ServeAsync()
    {
        while (!_stop.IsCancellationRequested)
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
        var path = context.Request.Url!.AbsolutePath;
        var response = context.Response;
        try
        {
            if (context.Request.HttpMethod == "GET" && path == "/2018-06-01/runtime/invocation/next")
            {
                _firstPoll.TrySetResult();
                var (requestId, payload, deadline, traceId) = await _pending.Reader.ReadAsync(_stop.Token);
                response.StatusCode = 200;
                response.Headers["Lambda-Runtime-Aws-Request-Id"] = requestId;
                if (deadline != DateTimeOffset.MaxValue)
                    response.Headers["Lambda-Runtime-Deadline-Ms"] = deadline.ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture);
                response.Headers["Lambda-Runtime-Invoked-Function-Arn"] = "arn:aws:lambda:eu-west-1:123456789012:function:cloudshelf-sync-test";
                if (traceId is not null) response.Headers["Lambda-Runtime-Trace-Id"] = traceId;
                response.ContentType = "application/json";
                await response.OutputStream.WriteAsync(payload);
            }
            else if (context.Request.HttpMethod == "POST")
            {
                using var reader = new StreamReader(context.Request.InputStream, Encoding.UTF8);
                var body = await reader.ReadToEndAsync();
                var errorType = context.Request.Headers["Lambda-Runtime-Function-Error-Type"];
                var parts = path.Split('/', StringSplitOptions.RemoveEmptyEntries);
                if (path == "/2018-06-01/runtime/init/error")
                {
                    _initError.TrySetResult(new RuntimeOutcome("init-error", null, body, errorType, DateTimeOffset.UtcNow));
                }
                else if (parts.Length == 5 && parts[2] == "invocation" && parts[4] is "response" or "error"
                         && _waiting.TryRemove(Uri.UnescapeDataString(parts[3]), out var waiter))
                {
                    waiter.TrySetResult(new RuntimeOutcome(parts[4], parts[3], body, errorType, DateTimeOffset.UtcNow));
                }
                else
                {
                    response.StatusCode = 400;
                    return;
                }
                response.StatusCode = 202;
            }
            else
            {
                response.StatusCode = 404;
            }
        }
        catch (OperationCanceledException)
        {
            response.StatusCode = 500;
        }
        finally
        {
            try
            {
                response.Close();
            }
            catch (Exception e) when (e is HttpListenerException or ObjectDisposedException or InvalidOperationException)
            {
                // The runtime went away mid-request (a test killed it).
            }
        }
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Close();
        try
        {
            await _serving;
        }
        catch (Exception e) when (e is HttpListenerException or ObjectDisposedException)
        {
            // Closed while waiting for a request.
        }
        _stop.Dispose();
    }
}
