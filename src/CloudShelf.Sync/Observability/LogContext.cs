namespace CloudShelf.Sync.Observability;

/// <summary>
/// Per-execution-environment and per-invocation context; the hosting layer sets RequestId/TraceId per invocation
/// and clears ColdStart after the first.
/// </summary>
public sealed class LogContext
{
    /// <summary>Value of the <c>service</c> key and the <c>Service</c> metric dimension.</summary>
    public string Service { get; init; } = "cloudshelf-sync";

    /// <summary>The Lambda function name, written as <c>function_name</c>.</summary>
    public string? FunctionName { get; set; }

    /// <summary>Whether the current invocation is the first in this execution environment.</summary>
    public bool ColdStart { get; set; } = true;

    /// <summary>The Lambda request id of the current invocation, written as <c>function_request_id</c>.</summary>
    public string? RequestId { get; set; }

    /// <summary>The X-Ray trace id of the current invocation, written as <c>xray_trace_id</c>.</summary>
    public string? TraceId { get; set; }
}
