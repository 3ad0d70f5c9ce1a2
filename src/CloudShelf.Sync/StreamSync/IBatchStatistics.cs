namespace CloudShelf.Sync.StreamSync;

/// <summary>Keeps per-batch statistics (<see cref="Postgres.BatchStatsStore"/>); the seam unit tests replace.</summary>
public interface IBatchStatistics
{
    /// <summary>
    /// Records one batch, one entry per table. Must not throw for a database failure: the batch's
    /// records are already settled, and statistics never decide their fate.
    /// </summary>
    Task RecordAsync(IReadOnlyList<TableBatchCounts> counts, CancellationToken cancellationToken);
}
