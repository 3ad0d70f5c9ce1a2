using System.Collections.Concurrent;
using CloudShelf.Sync.Observability;

namespace CloudShelf.Sync.Tests.StreamSync;

/// <summary>Keeps every entry so tests can see what the processor told the operator.</summary>
internal sealed class RecordingLog : ILog
{
    public sealed record Entry(LogLevel Level, string Message, Exception? Exception, IReadOnlyDictionary<string, object?> Fields);

    public ConcurrentQueue<Entry> Entries { get; } = new();

    public bool IsEnabled(LogLevel level) => true;

    public void Write(LogLevel level, string message, Exception? exception, params ReadOnlySpan<LogField> fields)
    {
        var copy = new Dictionary<string, object?>(StringComparer.Ordinal);
        foreach (var field in fields) copy[field.Name] = field.Value;
        Entries.Enqueue(new Entry(level, message, exception, copy));
    }
}
