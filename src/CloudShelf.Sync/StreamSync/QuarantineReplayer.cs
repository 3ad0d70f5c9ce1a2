using CloudShelf.Sync.Postgres;
using CloudShelf.Sync.Streams;

namespace CloudShelf.Sync.StreamSync;

/// <summary>
/// Sends quarantined records through the same processor as the stream, so the same ordering
/// guard decides: a replayed change older than the item's current state changes nothing.
/// </summary>
public sealed class QuarantineReplayer(QuarantineStore store, StreamBatchProcessor processor)
{
    /// <summary>Open records replayed per batch (and read per query) by <c>--all-open</c>.</summary>
    public const int DefaultBatchSize = 500;

    /// <summary>
    /// Replays the given open records, or every open record when <paramref name="ids"/> is null:
    /// then in batches of <paramref name="batchSize"/> by ascending id until none is left, so that
    /// memory and transaction size stay bounded however large the quarantine is.
    /// </summary>
    public async Task<ReplayResult> ReplayAsync(IReadOnlyCollection<long>? ids, CancellationToken cancellationToken = default, int batchSize = DefaultBatchSize)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        var total = new ReplayResult(0, 0, 0, 0, 0, 0);
        if (ids is not null)
        {
            foreach (var chunk in ids.Chunk(batchSize))
                total = total.Add(await ReplayRecordsAsync(await store.OpenAsync(chunk, cancellationToken), cancellationToken));
            return total;
        }

        // Entries still refused stay open with lower ids than the next page, so the walk always ends.
        var after = 0L;
        while (true)
        {
            var page = await store.OpenPageAsync(after, batchSize, cancellationToken);
            if (page.Count == 0) return total;
            total = total.Add(await ReplayRecordsAsync(page, cancellationToken));
            after = page[^1].Id;
        }
    }

    /// <summary>
    /// After a batch: tries again the open entries refused by a unique constraint whose contested
    /// value is held by a row this batch changed (an e-mail handed over across batches or shards:
    /// the taker's change arrived first), and the entries this batch itself quarantined for such a
    /// conflict (the holder may have changed between the refusal and the commit).
    /// </summary>
    public async Task<ReplayResult> ReplayConflictsAsync(BatchResult batch, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(batch);
        // Only tables with a unique column can hold a contested value: a books batch costs no query.
        IReadOnlySet<string> unique = batch.Won.Count == 0 ? new HashSet<string>() : await store.TablesWithUniqueColumnsAsync(cancellationToken);
        var holders = batch.Won.Where(c => unique.Contains(c.Table.Table)).Select(c => (c.Table.Table, c.Key)).ToList();
        var own = batch.Quarantined
            .Where(e => e.ConflictKey is not null && e.TargetTable is not null && e.Key is not null && e.Source.SequenceNumber is not null)
            .Select(e => (e.TargetTable!, e.Key!, e.Source.SequenceNumber!))
            .ToList();
        if (own.Count == 0 && holders.Count == 0) return new ReplayResult(0, 0, 0, 0, 0, 0);
        var open = await store.OpenConflictingAsync(holders, own, DefaultBatchSize, cancellationToken);
        return await ReplayRecordsAsync(open, cancellationToken);
    }

    private async Task<ReplayResult> ReplayRecordsAsync(IReadOnlyList<QuarantinedRecord> open, CancellationToken cancellationToken)
    {
        if (open.Count == 0) return new ReplayResult(0, 0, 0, 0, 0, 0);
        var records = open
            .Select(q =>
            {
                var record = StreamEventSerializer.ReadRecordTolerant(q.RecordJson);
                return new SourceRecord(record, StreamArn.TableName(record.EventSourceArn) ?? q.SourceTable, q.Id);
            })
            .ToList();

        var result = await processor.ReplayAsync(records, cancellationToken);
        // PostgreSQL checks a CHECK constraint on the proposed row before the ordering guard can discard
        // it, so a defective change that a later fix overtook is refused again rather than superseded:
        // one the item's current state outranks changes nothing, whatever it holds.
        var refused = open.Where((q, i) => result.Outcomes[i] == RecordOutcome.Quarantined && q.TargetTable is not null && q.Key is not null
                && q.SequenceNumber is not null && SequenceNumbers.IsValid(q.SequenceNumber))
            .Select(q => (q.Id, q.TargetTable!, q.Key!, q.SequenceNumber!)).ToList();
        var overtaken = await store.SupersededAsync(processor.Mapping, refused, cancellationToken);
        var resolved = new List<(long, string)>();
        for (var i = 0; i < records.Count; i++)
        {
            var resolution = result.Outcomes[i] switch
            {
                RecordOutcome.Applied => "applied",
                RecordOutcome.Superseded => "superseded",
                RecordOutcome.Quarantined when overtaken.Contains(open[i].Id) => "superseded",
                RecordOutcome.Skipped => "skipped",
                _ => null,
            };
            if (resolution is not null) resolved.Add((records[i].QuarantineId!.Value, resolution));
        }
        await store.ResolveAsync(resolved, cancellationToken);
        return new ReplayResult(
            records.Count,
            result.Count(RecordOutcome.Applied),
            result.Count(RecordOutcome.Superseded) + overtaken.Count,
            result.Count(RecordOutcome.Skipped),
            result.Count(RecordOutcome.Quarantined) - overtaken.Count,
            result.Count(RecordOutcome.Failed));
    }
}
