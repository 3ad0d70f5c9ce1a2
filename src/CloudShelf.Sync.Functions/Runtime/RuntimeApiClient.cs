using System.Globalization;
using System.Net.Http.Headers;
using System.Text.Json;
using System.Text.Json.Serialization;
using CloudShelf.Sync.Hosting;
using CloudShelf.Sync.Observability;

namespace CloudShelf.Sync.Functions.Runtime;

/// <summary>
/// Client of the Lambda Runtime API (https://docs.aws.amazon.com/lambda/latest/dg/runtimes-api.html),
/// version 2018-06-01, at <c>AWS_LAMBDA_RUNTIME_API</c>.
/// </summary>
public sealed class RuntimeApiClient : IRuntimeApi, IDisposable
{
    private readonly HttpClient _http;

    /// <summary>A client for the Runtime API at <paramref name="hostAndPort"/> (the value of AWS_LAMBDA_RUNTIME_API).</summary>
    public RuntimeApiClient(string hostAndPort)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(hostAndPort);
        // The HttpClient owns its handler (disposeHandler: true); the analyzer cannot see through the initializer.
#pragma warning disable CA2000
        _http = new HttpClient(new SocketsHttpHandler { UseProxy = false, PooledConnectionIdleTimeout = Timeout.InfiniteTimeSpan }, disposeHandler: true);
#pragma warning restore CA2000
        _http.BaseAddress = new Uri($"http://{hostAndPort}/2018-06-01/");
        // /invocation/next is a long poll that lasts as long as the environment is idle.
        _http.Timeout = Timeout.InfiniteTimeSpan;
    }

    /// <inheritdoc />
    public async Task<(InvocationContext Context, byte[] Payload)> NextAsync(CancellationToken cancellationToken)
    {
        using var response = await _http.GetAsync("runtime/invocation/next", cancellationToken);
        response.EnsureSuccessStatusCode();
        var requestId = Header(response, "Lambda-Runtime-Aws-Request-Id")
                        ?? throw new InvalidOperationException("The Runtime API sent an invocation without Lambda-Runtime-Aws-Request-Id.");
        var deadline = long.TryParse(Header(response, "Lambda-Runtime-Deadline-Ms"), NumberStyles.None, CultureInfo.InvariantCulture, out var ms)
            ? DateTimeOffset.FromUnixTimeMilliseconds(ms)
            : DateTimeOffset.MaxValue;
        var context = new InvocationContext(requestId, deadline,
            Header(response, "Lambda-Runtime-Invoked-Function-Arn"), Header(response, "Lambda-Runtime-Trace-Id"));
        return (context, await response.Content.ReadAsByteArrayAsync(cancellationToken));
    }

    /// <inheritdoc />
    public async Task RespondAsync(string requestId, byte[] response, CancellationToken cancellationToken)
    {
        using var content = new ByteArrayContent(response);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        using var result = await _http.PostAsync($"runtime/invocation/{Uri.EscapeDataString(requestId)}/response", content, cancellationToken);
        result.EnsureSuccessStatusCode();
    }

    /// <inheritdoc />
    public Task ReportInvocationErrorAsync(string requestId, Exception error, CancellationToken cancellationToken) =>
        PostErrorAsync($"runtime/invocation/{Uri.EscapeDataString(requestId)}/error", error, cancellationToken);

    /// <inheritdoc />
    public Task ReportInitErrorAsync(Exception error, CancellationToken cancellationToken) =>
        PostErrorAsync("runtime/init/error", error, cancellationToken);

    private async Task PostErrorAsync(string path, Exception error, CancellationToken cancellationToken)
    {
        var body = JsonSerializer.SerializeToUtf8Bytes(ErrorResponse.From(error), RuntimeJsonContext.Default.ErrorResponse);
        using var content = new ByteArrayContent(body);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = content };
        request.Headers.Add("Lambda-Runtime-Function-Error-Type", ErrorResponse.TypeName(error));
        using var result = await _http.SendAsync(request, cancellationToken);
        result.EnsureSuccessStatusCode();
    }

    private static string? Header(HttpResponseMessage response, string name) =>
        response.Headers.TryGetValues(name, out var values) ? values.FirstOrDefault() : null;

    /// <inheritdoc />
    public void Dispose() => _http.Dispose();
}

/// <summary>The documented error body: <c>{"errorMessage":"...","errorType":"...","stackTrace":[...]}</c>.</summary>
public sealed class ErrorResponse
{
    /// <summary>The message.</summary>
    [JsonPropertyName("errorMessage")]
    public required string ErrorMessage { get; init; }

    /// <summary>The error type, e.g. <c>Runtime.UnknownHandler</c> or an exception type name.</summary>
    [JsonPropertyName("errorType")]
    public required string ErrorType { get; init; }

    /// <summary>The stack, one frame a line.</summary>
    [JsonPropertyName("stackTrace")]
    public IReadOnlyList<string> StackTrace { get; init; } = [];

    /// <summary>
    /// The body for an exception, redacted as the logs are: Lambda copies it into the function's log
    /// and hands it to callers (Step Functions, the invoking CLI), so it must not carry what the
    /// logs may not (e-mail addresses, passwords, values quoted by PostgreSQL).
    /// </summary>
    public static ErrorResponse From(Exception error)
    {
        ArgumentNullException.ThrowIfNull(error);
        return new ErrorResponse
        {
            ErrorMessage = ExceptionText.Message(error),
            ErrorType = TypeName(error),
            StackTrace = error.StackTrace?.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries) ?? [],
        };
    }

    /// <summary>The error type reported for an exception.</summary>
    public static string TypeName(Exception error) =>
        error is RuntimeErrorException runtime ? runtime.ErrorType : error.GetType().Name;
}


[JsonSerializable(typeof(ErrorResponse))]
internal sealed partial class RuntimeJsonContext : JsonSerializerContext;
