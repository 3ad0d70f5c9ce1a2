namespace CloudShelf.Sync.Observability;

/// <summary>Severity of a log entry, lowest first.</summary>
public enum LogLevel
{
    /// <summary>Diagnostic detail, off in production by default.</summary>
    Debug,

    /// <summary>Normal operation worth recording.</summary>
    Information,

    /// <summary>Unexpected but handled; the record was still accounted for.</summary>
    Warning,

    /// <summary>A failure that needs attention.</summary>
    Error,
}

/// <summary>One structured field of a log entry, written as its own JSON key.</summary>
/// <param name="Name">The JSON key.</param>
/// <param name="Value">The value; see <see cref="JsonLogger"/> for how each type is written.</param>
public readonly record struct LogField(string Name, object? Value);

/// <summary>Structured log sink. Implementations must be safe to call from several threads.</summary>
public interface ILog
{
    /// <summary>Whether entries at <paramref name="level"/> are written, so callers can skip building costly fields.</summary>
    /// <param name="level">The level to test.</param>
    /// <returns><see langword="true"/> when an entry at that level would be written.</returns>
    bool IsEnabled(LogLevel level);

    /// <summary>Writes one entry.</summary>
    /// <param name="level">Severity of the entry.</param>
    /// <param name="message">Human-readable message.</param>
    /// <param name="exception">The exception being reported, if any.</param>
    /// <param name="fields">Structured fields of the event.</param>
    void Write(LogLevel level, string message, Exception? exception, params ReadOnlySpan<LogField> fields);
}
