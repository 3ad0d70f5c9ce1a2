namespace CloudShelf.Sync.Cli.LocalMapping;

/// <summary>What a run of the local mapping did, per stream and in total; safe to update concurrently.</summary>
internal sealed class MappingSummary
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, StreamCounters> _streams = new(StringComparer.Ordinal);

    /// <summary>Counters of one stream.</summary>
    public StreamCounters For(string table, string streamArn)
    {
        lock (_gate)
        {
            if (!_streams.TryGetValue(streamArn, out var counters)) _streams[streamArn] = counters = new StreamCounters(table, streamArn);
            return counters;
        }
    }

    /// <summary>Every stream's counters.</summary>
    public IReadOnlyList<StreamCounters> Streams
    {
        get
        {
            lock (_gate) return [.. _streams.Values.OrderBy(s => s.Table, StringComparer.Ordinal)];
        }
    }

    /// <summary>Batches that went to the on-failure destination, over all streams.</summary>
    public long BatchesToOnFailure => Streams.Sum(s => s.BatchesToOnFailure);

    /// <summary>Retention gaps over all streams.</summary>
    public long Gaps => Streams.Sum(s => s.Gaps);
}
