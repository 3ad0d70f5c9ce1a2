namespace CloudShelf.Sync.Functions.Runtime;

/// <summary>The invocation environment of the bootstrap process itself.</summary>
public sealed class ProcessInvocationEnvironment : IInvocationEnvironment
{
    /// <summary>The variable the AWS SDK and X-Ray read the current trace from.</summary>
    public const string TraceIdVariable = "_X_AMZN_TRACE_ID";

    /// <summary>The one instance.</summary>
    public static ProcessInvocationEnvironment Instance { get; } = new();

    private ProcessInvocationEnvironment()
    {
    }

    /// <inheritdoc />
    public void SetTraceId(string? traceId) =>
        Environment.SetEnvironmentVariable(TraceIdVariable, string.IsNullOrEmpty(traceId) ? null : traceId);
}
