using CloudShelf.Sync.Configuration;
using CloudShelf.Sync.Mapping;
using CloudShelf.Sync.Observability;
using CloudShelf.Sync.StreamReading;

namespace CloudShelf.Sync.Lag;

/// <summary>
/// Measures sync lag from the streams themselves. Reads each synced table's stream as a second
/// consumer (DynamoDB Streams serves two readers per shard; Lambda's mapping is the first) from its own
/// checkpoints, parents before children, and decides for every record whether PostgreSQL holds it.
/// A record it does not hold stays in the pending set in PostgreSQL, so the checkpoint moves on and the
/// record is checked again each run until it is applied or found lost (then quarantined with its payload).
/// Each run reads at most a budget of records per table and of time, and the next run goes on: memory
/// holds one page per table, however busy the stream.
/// </summary>
public sealed class SyncLagMonitor(
    SyncMapping mapping,
    IStreamArnSource streams,
    DynamoDbStreamReader reader,
    ShardCheckpointStore checkpoints,
    LagStore store,
    LagSettings settings,
    ILog log,
    IMetrics metrics,
    TimeProvider time)
{
    /// <summary>The consumer name of sync-lag's checkpoints (separate from the local mapping's).</summary>
    public const string Consumer = "sync-lag";

    /// <summary>How long a DynamoDB stream keeps a record.</summary>
    public static readonly TimeSpan Retention = TimeSpan.FromHours(24);

    /// <summary>Reads every synced stream within the budget, judges each table and emits its metrics.</summary>
    public async Task<LagReport> RunAsync(CancellationToken cancellationToken)
    {
        var started = time.GetTimestamp();
        var tables = await Task.WhenAll(mapping.Tables.Select(t => MeasureAsync(t, started, cancellationToken)));
        foreach (var t in tables)
        {
            metrics.Add(MetricNames.SyncLagSeconds, t.SyncLag.TotalSeconds, MetricUnit.Seconds, t.Table);
            metrics.Add(MetricNames.RetentionHeadroomSeconds, t.RetentionHeadroom.TotalSeconds, MetricUnit.Seconds, t.Table);
            metrics.Add(MetricNames.UnappliedChanges, t.UnappliedChanges, MetricUnit.Count, t.Table);
            metrics.Add(MetricNames.LostChanges, t.LostChanges, MetricUnit.Count, t.Table);
        }
        // A gauge the quarantine alarm can watch: every run says how many entries are open, 0 included.
        var open = await store.OpenQuarantineAsync(cancellationToken);
        foreach (var table in mapping.Tables)
            metrics.Add(MetricNames.QuarantineOpen, open.GetValueOrDefault(table.Table), MetricUnit.Count, table.Table);
        metrics.Add(MetricNames.QuarantineOpen, open.Values.Sum(), MetricUnit.Count);
        return new LagReport(tables, settings);
    }

    private async Task<TableLag> MeasureAsync(TableMapping table, long started, CancellationToken cancellationToken)
    {
        var arn = await streams.StreamArnAsync(table, cancellationToken);
        var (read, caughtUp, gaps) = await ReadStreamAsync(table, arn, started, cancellationToken);
        var now = time.GetUtcNow();
        var state = await store.SettleAsync(table, now, settings.LostGrace, cancellationToken);
        var lag = state.OldestUnapplied is { } oldest && oldest < now ? now - oldest : TimeSpan.Zero;
        var result = new TableLag(table.Table, table.SourceTable, arn, lag, Retention - lag, state.Unapplied, state.Lost,
            state.NewlyLost, read, caughtUp, gaps);
        if (state.NewlyLost > 0)
        {
            log.Error("Changes lost by the event source mapping were found and quarantined with their records",
                new LogField("table", table.Table), new LogField("lost", state.NewlyLost), new LogField("stream_arn", arn));
        }
        log.Info("Sync lag measured",
            new LogField("table", table.Table), new LogField("sync_lag_seconds", Math.Round(lag.TotalSeconds, 3)),
            new LogField("unapplied_changes", state.Unapplied), new LogField("lost_changes", state.Lost),
            new LogField("records_read", read), new LogField("caught_up", caughtUp));
        return result;
    }

    /// <summary>Reads the readable shards (a child only once its parent is finished) until each is caught up or the budget is spent.</summary>
    private async Task<(int Read, bool CaughtUp, int Gaps)> ReadStreamAsync(TableMapping table, string arn, long started,
        CancellationToken cancellationToken)
    {
        var tree = await reader.DescribeStreamAsync(arn, cancellationToken);
        var saved = await checkpoints.ReadAsync(arn, cancellationToken);
        var finished = new HashSet<string>(saved.Values.Where(c => c.Finished).Select(c => c.ShardId), StringComparer.Ordinal);
        var caughtUpThisRun = new HashSet<string>(StringComparer.Ordinal);
        var read = 0;
        var gaps = 0;
        while (true)
        {
            var due = tree.Readable(finished).Where(s => !caughtUpThisRun.Contains(s.ShardId)).ToList();
            if (due.Count == 0) return (read, true, gaps);
            var anyEnded = false;
            foreach (var shard in due)
            {
                var from = saved.TryGetValue(shard.ShardId, out var checkpoint) ? checkpoint.Resume(StreamPosition.TrimHorizon) : StreamPosition.TrimHorizon;
                var shardReader = reader.OpenShard(arn, shard, from);
                while (true)
                {
                    var remaining = settings.MaxRecordsPerRun - read;
                    var timeLeft = settings.MaxRunTime - time.GetElapsedTime(started);
                    if (remaining <= 0 || timeLeft <= TimeSpan.Zero) return (read, false, gaps);
                    var page = await shardReader.ReadAsync(new ShardReadBudget(Math.Min(ShardReader.MaxPageSize, remaining), timeLeft), cancellationToken);
                    if (page.Gap is { } gap)
                    {
                        gaps++;
                        log.Error("Stream records left the stream before sync-lag read them: their changes cannot be checked here",
                            new LogField("table", table.Table), new LogField("shard_id", gap.ShardId), new LogField("from", gap.From.ToString()),
                            new LogField("reason", gap.Reason));
                    }
                    if (page.Records.Count > 0)
                    {
                        await store.RecordPageAsync(table, arn, shard.ShardId, page.Records, time.GetUtcNow(), cancellationToken);
                        read += page.Records.Count;
                    }
                    // The pending set holds what is not applied, so the checkpoint may pass it.
                    if (page.Records.Count > 0 || page.Ended)
                        await checkpoints.SaveAsync(arn, shard.ShardId, page.Records.Count > 0 ? page.Records[^1].Dynamodb!.SequenceNumber : null, page.Ended, cancellationToken);
                    if (page.Ended)
                    {
                        finished.Add(shard.ShardId);
                        anyEnded = true;
                        break;
                    }
                    if (page.Records.Count < Math.Min(ShardReader.MaxPageSize, remaining))
                    {
                        caughtUpThisRun.Add(shard.ShardId);
                        break;
                    }
                }
            }
            // A shard that ended may have children readable now; otherwise every shard is caught up.
            if (!anyEnded) return (read, true, gaps);
        }
    }
}
