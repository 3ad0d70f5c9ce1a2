using CloudShelf.Sync.Observability;
using CloudShelf.Sync.StreamSync;
using Npgsql;
using NpgsqlTypes;

namespace CloudShelf.Sync.Postgres;

/// <summary>
/// <c>cloudshelf_sync.batch_stats</c>: one row per batch and table, written right after the batch
/// (one statement whatever the batch size), pruned by the same statement now and then. A batch that
/// failed because the database is unreachable cannot be recorded then; its counts are kept and written
/// with the next batch that can be, so an outage shows in the error rate instead of vanishing from it.
/// </summary>
public sealed class BatchStatsStore(NpgsqlDataSource dataSource, TimeProvider time, ILog? log = null) : IBatchStatistics
{
    /// <summary>How long rows are kept; the error rate looks back one hour.</summary>
    public static readonly TimeSpan Retention = TimeSpan.FromDays(2);

    /// <summary>How often one process prunes (the delete rides along with an insert).</summary>
    public static readonly TimeSpan PruneEvery = TimeSpan.FromMinutes(10);

    /// <summary>Counts not written yet, capped so that a long outage cannot grow memory without bound.</summary>
    private const int MaxUnwritten = 10_000;

    private readonly Lock _gate = new();
    private readonly List<(DateTimeOffset At, TableBatchCounts Counts)> _unwritten = [];
    private DateTimeOffset _lastPruned = DateTimeOffset.MinValue;

    /// <inheritdoc />
    public async Task RecordAsync(IReadOnlyList<TableBatchCounts> counts, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(counts);
        var now = time.GetUtcNow();
        List<(DateTimeOffset At, TableBatchCounts Counts)> rows;
        bool prune;
        lock (_gate)
        {
            foreach (var c in counts) _unwritten.Add((now, c));
            if (_unwritten.Count > MaxUnwritten) _unwritten.RemoveRange(0, _unwritten.Count - MaxUnwritten);
            rows = [.. _unwritten];
            _unwritten.Clear();
            prune = now - _lastPruned >= PruneEvery;
            if (prune) _lastPruned = now;
        }
        if (rows.Count == 0) return;

        try
        {
            await using var command = dataSource.CreateCommand("""
                WITH pruned AS (DELETE FROM cloudshelf_sync.batch_stats WHERE $8 AND finished_at < $9)
                INSERT INTO cloudshelf_sync.batch_stats (finished_at, target_table, records, applied, skipped, quarantined, failed)
                SELECT * FROM unnest($1::timestamptz[], $2::text[], $3::integer[], $4::integer[], $5::integer[], $6::integer[], $7::integer[])
                """);
            command.Parameters.Add(new NpgsqlParameter { Value = rows.Select(r => r.At).ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.TimestampTz });
            command.Parameters.Add(new NpgsqlParameter { Value = rows.Select(r => r.Counts.Table).ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text });
            command.Parameters.Add(Integers(rows.Select(r => r.Counts.Records)));
            command.Parameters.Add(Integers(rows.Select(r => r.Counts.Applied)));
            command.Parameters.Add(Integers(rows.Select(r => r.Counts.Skipped)));
            command.Parameters.Add(Integers(rows.Select(r => r.Counts.Quarantined)));
            command.Parameters.Add(Integers(rows.Select(r => r.Counts.Failed)));
            command.Parameters.Add(new NpgsqlParameter { Value = prune });
            command.Parameters.Add(new NpgsqlParameter { Value = now - Retention });
            await command.ExecuteNonQueryAsync(cancellationToken);
        }
        catch (Exception e) when (e is NpgsqlException or TimeoutException or OperationCanceledException or InvalidOperationException)
        {
            lock (_gate)
            {
                _unwritten.InsertRange(0, rows);
                if (prune) _lastPruned = DateTimeOffset.MinValue;
            }
            (log ?? NullLog.Instance).Warn("Batch statistics not written; kept for the next batch",
                new LogField("rows", rows.Count), new LogField("reason", ExceptionText.Message(e)));
        }
    }

    /// <summary>The counts of the batches that finished within <paramref name="window"/> before now.</summary>
    public async Task<ErrorRate> ErrorRateAsync(TimeSpan window, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("""
            SELECT coalesce(sum(applied), 0)::bigint, coalesce(sum(quarantined), 0)::bigint, coalesce(sum(failed), 0)::bigint
            FROM cloudshelf_sync.batch_stats WHERE finished_at > $1
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = time.GetUtcNow() - window });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        return new ErrorRate(reader.GetInt64(0), reader.GetInt64(1), reader.GetInt64(2));
    }

    private static NpgsqlParameter Integers(IEnumerable<int> values) =>
        new() { Value = values.ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Integer };
}
