using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Text;
using System.Threading.Channels;
using CloudShelf.Sync.Cli.LocalMapping;

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
    private readonly Channel<(string RequestId, byte[] Payload, DateTimeOffset Deadline, string? TraceId)> _pending =
        Channel.CreateUnbounded<(string, byte[], DateTimeOffset, string?)>();
    private readonly ConcurrentDictionary<string, TaskCompletionSource<RuntimeOutcome>> _waiting = new();
    private readonly TaskCompletionSource<RuntimeOutcome> _initError = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _firstPoll = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly LoopbackHttpServer _server;

    private FakeRuntimeApi() => _server = LoopbackHttpServer.Start(HandleAsync);

    /// <summary>The value for AWS_LAMBDA_RUNTIME_API.</summary>
    public string HostAndPort => _server.HostAndPort;

    /// <summary>Completes when the runtime first asks for an invocation: its start-up is over.</summary>
    public Task FirstPoll => _firstPoll.Task;

    /// <summary>Completes when the runtime reports an init error.</summary>
    public Task<RuntimeOutcome> InitError => _initError.Task;

    /// <summary>Starts the API on a free port.</summary>
    public static FakeRuntimeApi Start() => new();

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

    private async Task HandleAsync(HttpListenerContext context, CancellationToken stopping)
    {
        var path = context.Request.Url!.AbsolutePath;
        var response = context.Response;
        if (context.Request.HttpMethod == "GET" && path == "/2018-06-01/runtime/invocation/next")
        {
            _firstPoll.TrySetResult();
            var (requestId, payload, deadline, traceId) = await _pending.Reader.ReadAsync(stopping);
            response.StatusCode = 200;
            response.Headers["Lambda-Runtime-Aws-Request-Id"] = requestId;
            if (deadline != DateTimeOffset.MaxValue)
                response.Headers["Lambda-Runtime-Deadline-Ms"] = deadline.ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture);
            response.Headers["Lambda-Runtime-Invoked-Function-Arn"] = "arn:aws:lambda:eu-west-1:123456789012:function:cloudshelf-sync-test";
            if (traceId is not null) response.Headers["Lambda-Runtime-Trace-Id"] = traceId;
            response.ContentType = "application/json";
            await response.OutputStream.WriteAsync(payload, stopping);
        }
        else if (context.Request.HttpMethod == "POST")
        {
            using var reader = new StreamReader(context.Request.InputStream, Encoding.UTF8);
            var body = await reader.ReadToEndAsync(stopping);
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

    /// <inheritdoc />
    public ValueTask DisposeAsync() => _server.DisposeAsync();
}
