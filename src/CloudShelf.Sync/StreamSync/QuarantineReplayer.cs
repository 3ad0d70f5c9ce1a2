using CloudShelf.Sync.Postgres;
using CloudShelf.Sync.Streams;

namespace CloudShelf.Sync.StreamSync;

/// <summary>The outcome of a replay.</summary>
/// <param name="Attempted">Records taken out of quarantine and tried.</param>
/// <param name="Applied">Applied as their item's newest state.</param>
/// <param name="Superseded">Already overtaken by a newer change of their item: resolved without effect.</param>
/// <param name="Skipped">Their table is no longer synced: resolved without effect.</param>
/// <param name="StillQuarantined">Refused again; their reason is updated.</param>
/// <param name="Failed">Not tried to the end (database trouble); still open.</param>
public sealed record ReplayResult(int Attempted, int Applied, int Superseded, int Skipped, int StillQuarantined, int Failed);

/// <summary>
/// Sends quarantined records through the same processor as the stream, so the same ordering
/// guard decides: a replayed change older than the item's current state changes nothing.
/// </summary>
public sealed class QuarantineReplayer(QuarantineStore store, StreamBatchProcessor processor)
{
    /// <summary>Replays the given open records, or every open record when <paramref name="ids"/> is null.</summary>
    public async Task<ReplayResult> ReplayAsync(IReadOnlyCollection<long>? ids, CancellationToken cancellationToken = default)
    {
        var open = await store.OpenAsync(ids, cancellationToken);
        if (open.Count == 0) return new ReplayResult(0, 0, 0, 0, 0, 0);

        var records = open
            .Select(q =>
            {
                var record = StreamEventSerializer.ReadRecordTolerant(q.RecordJson);
                return new SourceRecord(record, StreamArn.TableName(record.EventSourceArn) ?? q.SourceTable, q.Id);
            })
            .ToList();

        var result = await processor.ProcessAsync(records, cancellationToken);
        var resolved = new List<(long, string)>();
        for (var i = 0; i < records.Count; i++)
        {
            var resolution = result.Outcomes[i] switch
            {
                RecordOutcome.Applied => "applied",
                RecordOutcome.Superseded => "superseded",
                RecordOutcome.Skipped => "skipped",
                _ => null,
            };
            if (resolution is not null) resolved.Add((records[i].QuarantineId!.Value, resolution));
        }
        await store.ResolveAsync(resolved, cancellationToken);
        return new ReplayResult(
            records.Count,
            result.Count(RecordOutcome.Applied),
            result.Count(RecordOutcome.Superseded),
            result.Count(RecordOutcome.Skipped),
            result.Count(RecordOutcome.Quarantined),
            result.Count(RecordOutcome.Failed));
    }
}
