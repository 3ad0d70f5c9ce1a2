namespace CloudShelf.Sync.Observability;

/// <summary>A log that discards everything, for tests and tools that have nowhere to write.</summary>
public sealed class NullLog : ILog
{
    /// <summary>The shared instance.</summary>
    public static readonly NullLog Instance = new();

    private NullLog()
    {
    }

    /// <inheritdoc />
    public bool IsEnabled(LogLevel level) => false;

    /// <inheritdoc />
    public void Write(LogLevel level, string message, Exception? exception, params ReadOnlySpan<LogField> fields)
    {
    }
}
