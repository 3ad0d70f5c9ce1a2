namespace CloudShelf.Sync.Observability;

/// <summary>Shorthands for <see cref="ILog.Write"/> at each level.</summary>
public static class LogExtensions
{
    /// <summary>Writes a <see cref="LogLevel.Debug"/> entry.</summary>
    /// <param name="log">The log to write to.</param>
    /// <param name="message">Human-readable message.</param>
    /// <param name="fields">Structured fields of the event.</param>
    public static void Debug(this ILog log, string message, params ReadOnlySpan<LogField> fields) =>
        log.Write(LogLevel.Debug, message, null, fields);

    /// <summary>Writes a <see cref="LogLevel.Information"/> entry.</summary>
    /// <param name="log">The log to write to.</param>
    /// <param name="message">Human-readable message.</param>
    /// <param name="fields">Structured fields of the event.</param>
    public static void Info(this ILog log, string message, params ReadOnlySpan<LogField> fields) =>
        log.Write(LogLevel.Information, message, null, fields);

    /// <summary>Writes a <see cref="LogLevel.Warning"/> entry.</summary>
    /// <param name="log">The log to write to.</param>
    /// <param name="message">Human-readable message.</param>
    /// <param name="fields">Structured fields of the event.</param>
    public static void Warn(this ILog log, string message, params ReadOnlySpan<LogField> fields) =>
        log.Write(LogLevel.Warning, message, null, fields);

    /// <summary>Writes a <see cref="LogLevel.Error"/> entry without an exception.</summary>
    /// <param name="log">The log to write to.</param>
    /// <param name="message">Human-readable message.</param>
    /// <param name="fields">Structured fields of the event.</param>
    public static void Error(this ILog log, string message, params ReadOnlySpan<LogField> fields) =>
        log.Write(LogLevel.Error, message, null, fields);

    /// <summary>Writes a <see cref="LogLevel.Error"/> entry reporting <paramref name="exception"/>.</summary>
    /// <param name="log">The log to write to.</param>
    /// <param name="exception">The exception being reported.</param>
    /// <param name="message">Human-readable message.</param>
    /// <param name="fields">Structured fields of the event.</param>
    public static void Error(this ILog log, Exception exception, string message, params ReadOnlySpan<LogField> fields) =>
        log.Write(LogLevel.Error, message, exception, fields);
}
