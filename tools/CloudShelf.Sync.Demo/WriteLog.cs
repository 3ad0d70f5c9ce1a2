using System.Collections.Concurrent;

namespace CloudShelf.Sync.Demo;

/// <summary>
/// When the traffic last wrote each item (taken just before the request is sent, so that the
/// write-to-row latency is never understated), and how many writes of each kind it made.
/// </summary>
internal sealed class WriteLog
{
    private readonly ConcurrentDictionary<(string Table, string Key), (DateTimeOffset At, bool Deleted)> _last = new();
    private readonly ConcurrentDictionary<string, int> _counts = new(StringComparer.Ordinal);

    /// <summary>Writes per kind (new order, order status, ...).</summary>
    public IReadOnlyDictionary<string, int> Counts => _counts;

    public int Total => _counts.Values.Sum();

    public void Record(string kind, string table, string key, DateTimeOffset at, bool deleted = false)
    {
        _counts.AddOrUpdate(kind, 1, (_, n) => n + 1);
        if (table.Length > 0) _last[(table, key)] = (at, deleted);
    }

    /// <summary>The items of a target table whose last write left them in place, with that write's time.</summary>
    public Dictionary<string, DateTimeOffset> LastUpserts(string table) =>
        _last.Where(e => e.Key.Table == table && !e.Value.Deleted).ToDictionary(e => e.Key.Key, e => e.Value.At, StringComparer.Ordinal);
}
