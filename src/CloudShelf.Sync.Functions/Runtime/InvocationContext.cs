namespace CloudShelf.Sync.Functions.Runtime;

/// <summary>One invocation as the Runtime API describes it in the headers of <c>/invocation/next</c>.</summary>
/// <param name="RequestId">Lambda-Runtime-Aws-Request-Id.</param>
/// <param name="Deadline">Lambda-Runtime-Deadline-Ms: when Lambda stops the invocation.</param>
/// <param name="FunctionArn">Lambda-Runtime-Invoked-Function-Arn.</param>
/// <param name="TraceId">Lambda-Runtime-Trace-Id (X-Ray), if any.</param>
public sealed record InvocationContext(string RequestId, DateTimeOffset Deadline, string? FunctionArn, string? TraceId);

/// <summary>What a function does with one invocation's payload.</summary>
public interface IFunctionHandler
{
    /// <summary>Handles the payload and returns the response body (JSON).</summary>
    /// <param name="payload">The event, as delivered.</param>
    /// <param name="context">The invocation.</param>
    /// <param name="cancellationToken">Cancelled shortly before the deadline: stop starting work and answer.</param>
    Task<byte[]> HandleAsync(ReadOnlyMemory<byte> payload, InvocationContext context, CancellationToken cancellationToken);
}

/// <summary>The Lambda Runtime API, as the loop uses it; the seam tests replace with a fake server.</summary>
public interface IRuntimeApi
{
    /// <summary>Waits for the next invocation (long poll).</summary>
    Task<(InvocationContext Context, byte[] Payload)> NextAsync(CancellationToken cancellationToken);

    /// <summary>Posts an invocation's response.</summary>
    Task RespondAsync(string requestId, byte[] response, CancellationToken cancellationToken);

    /// <summary>Posts an invocation's error.</summary>
    Task ReportInvocationErrorAsync(string requestId, Exception error, CancellationToken cancellationToken);

    /// <summary>Posts an initialisation error; Lambda then stops the execution environment.</summary>
    Task ReportInitErrorAsync(Exception error, CancellationToken cancellationToken);
}
