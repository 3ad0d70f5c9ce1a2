using Amazon.DynamoDBv2;
using CloudShelf.Sync.Mapping;

namespace CloudShelf.Sync.Backfill;

/// <summary>What a whole backfill did, per table.</summary>
/// <param name="Segments">Every segment's final state.</param>
public sealed record BackfillSummary(IReadOnlyList<SegmentProgress> Segments)
{
    /// <summary>Items read.</summary>
    public long ItemsScanned => Segments.Sum(s => s.ItemsScanned);

    /// <summary>Items that became rows.</summary>
    public long ItemsWritten => Segments.Sum(s => s.ItemsWritten);

    /// <summary>Whether every segment was scanned to its end.</summary>
    public bool Done => Segments.All(s => s.Done);
}

/// <summary>Runs the segments of several tables at once, for the CLI (the Lambda runs one segment per invocation).</summary>
public sealed class BackfillRunner(Backfiller backfiller, IAmazonDynamoDB dynamoDb)
{
    /// <summary>Approximate item counts of the tables, for progress and ETA (DynamoDB refreshes them every few hours).</summary>
    public async Task<long> EstimateItemsAsync(IEnumerable<TableMapping> tables, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(tables);
        long total = 0;
        foreach (var table in tables)
            total += (await dynamoDb.DescribeTableAsync(table.SourceTable, cancellationToken)).Table.ItemCount ?? 0;
        return total;
    }

    /// <summary>Backfills every segment of every table, <paramref name="parallelism"/> segments at a time.</summary>
    public async Task<BackfillSummary> RunAsync(
        IReadOnlyList<TableMapping> tables, int segments, int parallelism, BackfillOptions options, bool restart,
        IProgress<int>? progress, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(tables);
        if (restart)
        {
            foreach (var table in tables) await backfiller.ResetAsync(table.SourceTable, cancellationToken);
        }
        var work = tables.SelectMany(t => Enumerable.Range(0, segments).Select(s => (Table: t, Segment: s))).ToList();
        var results = new SegmentProgress[work.Count];
        await Parallel.ForEachAsync(Enumerable.Range(0, work.Count),
            new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, parallelism), CancellationToken = cancellationToken },
            async (i, ct) => results[i] = await backfiller.RunSegmentAsync(work[i].Table, work[i].Segment, segments, options, progress, ct));
        return new BackfillSummary(results);
    }
}
