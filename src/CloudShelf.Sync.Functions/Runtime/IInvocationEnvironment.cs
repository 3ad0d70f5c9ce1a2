namespace CloudShelf.Sync.Functions.Runtime;

/// <summary>
/// The process-wide state an invocation sets up, as AWS's own runtimes do; a seam, so that tests
/// never change the test process's environment.
/// </summary>
public interface IInvocationEnvironment
{
    /// <summary>
    /// Sets <c>_X_AMZN_TRACE_ID</c> to the invocation's <c>Lambda-Runtime-Trace-Id</c> (the AWS SDK
    /// reads it to join its calls to the X-Ray trace); null clears it, so that an invocation without
    /// a trace never carries the previous one's.
    /// </summary>
    void SetTraceId(string? traceId);
}
