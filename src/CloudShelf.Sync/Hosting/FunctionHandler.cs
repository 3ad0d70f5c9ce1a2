namespace CloudShelf.Sync.Hosting;

/// <summary>One invocation as the Runtime API describes it in the headers of <c>/invocation/next</c>.</summary>
/// <param name="RequestId">Lambda-Runtime-Aws-Request-Id.</param>
/// <param name="Deadline">Lambda-Runtime-Deadline-Ms: when Lambda stops the invocation.</param>
/// <param name="FunctionArn">Lambda-Runtime-Invoked-Function-Arn.</param>
/// <param name="TraceId">Lambda-Runtime-Trace-Id (X-Ray), if any.</param>
public sealed record InvocationContext(string RequestId, DateTimeOffset Deadline, string? FunctionArn, string? TraceId)
{
    /// <summary>How long before the deadline a handler's token fires by default: enough to roll back and answer.</summary>
    public static readonly TimeSpan DefaultDeadlineMargin = TimeSpan.FromMilliseconds(1500);
}

/// <summary>What a function does with one invocation's payload.</summary>
public interface IFunctionHandler
{
    /// <summary>Handles the payload and returns the response body (JSON).</summary>
    /// <param name="payload">The event, as delivered.</param>
    /// <param name="context">The invocation.</param>
    /// <param name="cancellationToken">Cancelled shortly before the deadline: stop starting work and answer.</param>
    Task<byte[]> HandleAsync(ReadOnlyMemory<byte> payload, InvocationContext context, CancellationToken cancellationToken);
}
