namespace CloudShelf.Sync.Testing;

/// <summary>How a <see cref="DynamoDbLocalServer"/> is started, for tests of the server process itself.</summary>
public sealed record DynamoDbLocalLaunch
{
    /// <summary>
    /// Where <see cref="SocketTracer"/> writes the process's socket calls; null (the default) runs
    /// java directly.
    /// </summary>
    public string? SocketTrace { get; init; }

    /// <summary>
    /// Leaves out <c>-disableTelemetry</c>. Never for a fixture: it exists to show what the server does
    /// without it.
    /// </summary>
    public bool Telemetry { get; init; }
}
