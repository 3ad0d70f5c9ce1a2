using System.Text.Json;
using CloudShelf.Sync.Mapping;
using CloudShelf.Sync.Streams;
using Npgsql;
using NpgsqlTypes;

namespace CloudShelf.Sync.Drift;

/// <summary>
/// The drift bookkeeping in <c>cloudshelf_sync</c>: runs and their per-table counts, passes and their
/// segment checkpoints, the keys a pass has seen, and the findings.
/// </summary>
public sealed class DriftStore(NpgsqlDataSource dataSource)
{
    /// <summary>Records the start of a run; returns its id.</summary>
    public async Task<long> StartRunAsync(string mode, double? sampleFraction, bool repair, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            "INSERT INTO cloudshelf_sync.drift_runs (mode, sample_fraction, repair) VALUES ($1, $2, $3) RETURNING run_id");
        command.Parameters.Add(new NpgsqlParameter { Value = mode });
        command.Parameters.Add(new NpgsqlParameter { Value = sampleFraction is { } f ? (decimal)f : DBNull.Value, NpgsqlDbType = NpgsqlDbType.Numeric });
        command.Parameters.Add(new NpgsqlParameter { Value = repair });
        return (long)(await command.ExecuteScalarAsync(cancellationToken))!;
    }

    /// <summary>Records the end of a run.</summary>
    public async Task FinishRunAsync(long runId, string? error, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            "UPDATE cloudshelf_sync.drift_runs SET finished_at = now(), status = $2, error = $3 WHERE run_id = $1");
        command.Parameters.Add(new NpgsqlParameter { Value = runId });
        command.Parameters.Add(new NpgsqlParameter { Value = error is null ? "completed" : "failed" });
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)error ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>Records one table's counts for a run.</summary>
    public async Task RecordRunTableAsync(long runId, DriftTableReport report, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(report);
        await using var command = dataSource.CreateCommand("""
            INSERT INTO cloudshelf_sync.drift_run_tables
                   (run_id, target_table, pass_id, items_compared, missing, extra, changed, in_flight, repaired, coverage, full_coverage, open_drift)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = runId });
        command.Parameters.Add(new NpgsqlParameter { Value = report.Table });
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)report.PassId ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Bigint });
        command.Parameters.Add(new NpgsqlParameter { Value = report.ItemsCompared });
        command.Parameters.Add(new NpgsqlParameter { Value = report.Missing });
        command.Parameters.Add(new NpgsqlParameter { Value = report.Extra });
        command.Parameters.Add(new NpgsqlParameter { Value = report.Changed });
        command.Parameters.Add(new NpgsqlParameter { Value = report.InFlight });
        command.Parameters.Add(new NpgsqlParameter { Value = report.Repaired });
        command.Parameters.Add(new NpgsqlParameter { Value = (decimal)Math.Round(report.Coverage, 6) });
        command.Parameters.Add(new NpgsqlParameter { Value = report.FullCoverage });
        command.Parameters.Add(new NpgsqlParameter { Value = report.OpenDrift });
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>
    /// The table's open pass, or a new one of <paramref name="segments"/> segments. Two runs that start
    /// together open the same pass: the table's transaction lock makes the second see the first's.
    /// </summary>
    internal async Task<DriftPass> OpenPassAsync(string table, int segments, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await using (var lockCommand = new NpgsqlCommand("SELECT pg_advisory_xact_lock(hashtextextended('cloudshelf_sync.drift_pass:' || $1, 0))",
                         connection, transaction))
        {
            lockCommand.Parameters.Add(new NpgsqlParameter { Value = table });
            await lockCommand.ExecuteNonQueryAsync(cancellationToken);
        }
        long passId;
        int total;
        string afterKey;
        bool extrasDone;
        await using (var command = new NpgsqlCommand("""
            WITH created AS (
                INSERT INTO cloudshelf_sync.drift_passes (target_table, total_segments)
                SELECT $1, $2 WHERE NOT EXISTS (SELECT FROM cloudshelf_sync.drift_passes WHERE target_table = $1 AND completed_at IS NULL)
                ON CONFLICT DO NOTHING
                RETURNING pass_id, total_segments, extras_after_key, extras_done)
            SELECT pass_id, total_segments, coalesce(extras_after_key, ''), extras_done FROM created
            UNION ALL
            SELECT pass_id, total_segments, coalesce(extras_after_key, ''), extras_done FROM cloudshelf_sync.drift_passes
            WHERE target_table = $1 AND completed_at IS NULL
            """, connection, transaction))
        {
            command.Parameters.Add(new NpgsqlParameter { Value = table });
            command.Parameters.Add(new NpgsqlParameter { Value = segments });
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            if (!await reader.ReadAsync(cancellationToken))
                throw new InvalidOperationException($"No drift pass could be opened for {table}.");
            passId = reader.GetInt64(0);
            total = reader.GetInt32(1);
            afterKey = reader.GetString(2);
            extrasDone = reader.GetBoolean(3);
        }

        var states = new Dictionary<int, (Dictionary<string, AttributeValue>?, bool)>();
        await using (var batch = new NpgsqlBatch(connection, transaction))
        {
            var create = new NpgsqlBatchCommand(
                "INSERT INTO cloudshelf_sync.drift_segments (pass_id, segment) SELECT $1, generate_series(0, $2 - 1) ON CONFLICT DO NOTHING");
            create.Parameters.Add(new NpgsqlParameter { Value = passId });
            create.Parameters.Add(new NpgsqlParameter { Value = total });
            var select = new NpgsqlBatchCommand(
                "SELECT segment, exclusive_start_key::text, completed_at IS NOT NULL FROM cloudshelf_sync.drift_segments WHERE pass_id = $1");
            select.Parameters.Add(new NpgsqlParameter { Value = passId });
            batch.BatchCommands.Add(create);
            batch.BatchCommands.Add(select);
            await using var reader = await batch.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
                states[reader.GetInt32(0)] = (reader.IsDBNull(1) ? null : DynamoJson.ParseItem(reader.GetString(1)), reader.GetBoolean(2));
        }
        await transaction.CommitAsync(cancellationToken);
        return new DriftPass(passId, total, states, afterKey, extrasDone);
    }

    /// <summary>Takes a drift lock (<see cref="DriftLock.Segment"/>, <see cref="DriftLock.Extras"/>) unless another run holds it.</summary>
    internal Task<DriftLock?> TryLockAsync(string name, CancellationToken cancellationToken) =>
        DriftLock.TryTakeAsync(dataSource, name, cancellationToken);

    /// <summary>Where a segment's scan continues and whether it is done, as saved now (read under the segment's lock).</summary>
    internal async Task<(Dictionary<string, AttributeValue>? StartKey, bool Done)> SegmentStateAsync(long passId, int segment,
        CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            "SELECT exclusive_start_key::text, completed_at IS NOT NULL FROM cloudshelf_sync.drift_segments WHERE pass_id = $1 AND segment = $2");
        command.Parameters.Add(new NpgsqlParameter { Value = passId });
        command.Parameters.Add(new NpgsqlParameter { Value = segment });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        if (!await reader.ReadAsync(cancellationToken)) throw new InvalidOperationException($"Drift pass {passId} has no segment {segment}.");
        return (reader.IsDBNull(0) ? null : DynamoJson.ParseItem(reader.GetString(0)), reader.GetBoolean(1));
    }

    /// <summary>A pass as saved now, whoever worked on it: segments done, where the extras stand, whether it is complete.</summary>
    internal async Task<(int SegmentsDone, string ExtrasAfterKey, bool ExtrasDone, bool Completed)> PassStateAsync(long passId,
        CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("""
            SELECT (SELECT count(*)::int FROM cloudshelf_sync.drift_segments s WHERE s.pass_id = p.pass_id AND s.completed_at IS NOT NULL),
                   coalesce(p.extras_after_key, ''), p.extras_done, p.completed_at IS NOT NULL
            FROM cloudshelf_sync.drift_passes p WHERE p.pass_id = $1
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = passId });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        if (!await reader.ReadAsync(cancellationToken)) throw new InvalidOperationException($"Drift pass {passId} does not exist.");
        return (reader.GetInt32(0), reader.GetString(1), reader.GetBoolean(2), reader.GetBoolean(3));
    }

    /// <summary>Saves a segment's checkpoint after a page.</summary>
    internal async Task SaveSegmentAsync(long passId, int segment, Dictionary<string, AttributeValue>? next, int compared, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var batch = new NpgsqlBatch(connection) { BatchCommands = { SegmentCheckpoint(passId, segment, next, compared) } };
        await batch.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>
    /// The statement that saves a segment's checkpoint after a page, to send alone
    /// (<see cref="SaveSegmentAsync"/>) or at the end of the next page's round trip. It returns no rows.
    /// </summary>
    internal static NpgsqlBatchCommand SegmentCheckpoint(long passId, int segment, Dictionary<string, AttributeValue>? next, int compared)
    {
        var command = new NpgsqlBatchCommand("""
            WITH s AS (
                UPDATE cloudshelf_sync.drift_segments
                SET exclusive_start_key = $3::jsonb, items_compared = items_compared + $4, completed_at = CASE WHEN $3 IS NULL THEN now() END
                WHERE pass_id = $1 AND segment = $2)
            UPDATE cloudshelf_sync.drift_passes SET items_compared = items_compared + $4 WHERE pass_id = $1
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = passId });
        command.Parameters.Add(new NpgsqlParameter { Value = segment });
        command.Parameters.Add(new NpgsqlParameter { Value = next is null ? DBNull.Value : DynamoJson.SerializeItem(next), NpgsqlDbType = NpgsqlDbType.Text });
        command.Parameters.Add(new NpgsqlParameter { Value = (long)compared });
        return command;
    }

    /// <summary>Saves where the search for extra rows stands.</summary>
    internal async Task SaveExtrasAsync(long passId, string afterKey, bool done, int compared, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            "UPDATE cloudshelf_sync.drift_passes SET extras_after_key = $2, extras_done = $3, items_compared = items_compared + $4 WHERE pass_id = $1");
        command.Parameters.Add(new NpgsqlParameter { Value = passId });
        command.Parameters.Add(new NpgsqlParameter { Value = afterKey });
        command.Parameters.Add(new NpgsqlParameter { Value = done });
        command.Parameters.Add(new NpgsqlParameter { Value = (long)compared });
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>Adds drift found by a run to its pass.</summary>
    internal async Task AddPassDriftAsync(long passId, int drift, CancellationToken cancellationToken)
    {
        if (drift == 0) return;
        await using var command = dataSource.CreateCommand("UPDATE cloudshelf_sync.drift_passes SET drift_found = drift_found + $2 WHERE pass_id = $1");
        command.Parameters.Add(new NpgsqlParameter { Value = passId });
        command.Parameters.Add(new NpgsqlParameter { Value = (long)drift });
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>
    /// The next rows (in key order, after <paramref name="afterKey"/>, at most <paramref name="limit"/>
    /// examined) that the pass's scan has not seen, with their sequence numbers, and the last key examined
    /// (null when no row is left).
    /// </summary>
    /// <remarks>
    /// The seen keys are read over the page's key range only (after <paramref name="afterKey"/>, up to
    /// the page's last key). Without the range PostgreSQL hashed every key the pass had seen for every
    /// page while they fit in work_mem (the whole pass's keys, per page), and beyond that probed the
    /// index row by row; either took over twice as long as hashing the page's own range (a 10,000-row
    /// page against 50,000 and against 500,000 seen keys).
    /// </remarks>
    internal async Task<(List<(string Key, string Sequence)> Unseen, string? LastKey)> UnseenRowsAsync(
        TableMapping table, long passId, string afterKey, int limit, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand($"""
            WITH page AS MATERIALIZED (
                SELECT {table.KeyColumn} AS k, sync_sequence FROM {table.Schema}.{table.Table}
                WHERE {table.KeyColumn} > $2 ORDER BY {table.KeyColumn} LIMIT $3),
            bound AS (SELECT max(k) AS last FROM page)
            SELECT k, sequence, last FROM (
                SELECT p.k, p.sync_sequence::text AS sequence, false AS last FROM page p
                WHERE NOT EXISTS (
                    SELECT FROM cloudshelf_sync.drift_seen_keys s
                    WHERE s.pass_id = $1 AND s.item_key = p.k AND s.item_key > $2 AND s.item_key <= (SELECT last FROM bound))
                UNION ALL
                SELECT last, NULL, true FROM bound WHERE last IS NOT NULL) x
            ORDER BY k, last
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = passId });
        command.Parameters.Add(new NpgsqlParameter { Value = afterKey });
        command.Parameters.Add(new NpgsqlParameter { Value = limit });
        var unseen = new List<(string, string)>();
        string? last = null;
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            if (reader.GetBoolean(2)) last = reader.GetString(0);
            else unseen.Add((reader.GetString(0), reader.GetString(1)));
        }
        return (unseen, last);
    }

    /// <summary>
    /// A repeatable Bernoulli sample of the table's rows (each with probability <paramref name="fraction"/>),
    /// paged by key.
    /// </summary>
    internal async Task<List<(string Key, string Sequence)>> SampleRowsAsync(
        TableMapping table, double fraction, int seed, string afterKey, int limit, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand($"""
            SELECT {table.KeyColumn}, sync_sequence::text FROM {table.Schema}.{table.Table}
            TABLESAMPLE BERNOULLI ($1) REPEATABLE ($2)
            WHERE {table.KeyColumn} > $3 ORDER BY {table.KeyColumn} LIMIT $4
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = fraction * 100, NpgsqlDbType = NpgsqlDbType.Double });
        command.Parameters.Add(new NpgsqlParameter { Value = (double)seed, NpgsqlDbType = NpgsqlDbType.Double });
        command.Parameters.Add(new NpgsqlParameter { Value = afterKey });
        command.Parameters.Add(new NpgsqlParameter { Value = limit });
        var rows = new List<(string, string)>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken)) rows.Add((reader.GetString(0), reader.GetString(1)));
        return rows;
    }

    /// <summary>
    /// Completes a pass: findings of the table not seen again since the pass started are resolved, and
    /// the pass's seen keys are dropped.
    /// </summary>
    internal async Task CompletePassAsync(TableMapping table, long passId, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await using (var batch = new NpgsqlBatch(connection, transaction))
        {
            var resolve = new NpgsqlBatchCommand("""
                UPDATE cloudshelf_sync.drift_findings f SET resolved_at = now(), resolution = 'not-seen'
                FROM cloudshelf_sync.drift_passes p
                WHERE p.pass_id = $1 AND f.target_table = $2 AND f.resolved_at IS NULL AND f.last_seen_at < p.started_at
                """);
            resolve.Parameters.Add(new NpgsqlParameter { Value = passId });
            resolve.Parameters.Add(new NpgsqlParameter { Value = table.Table });
            var complete = new NpgsqlBatchCommand(
                "UPDATE cloudshelf_sync.drift_passes SET completed_at = now(), extras_done = true WHERE pass_id = $1 AND completed_at IS NULL");
            complete.Parameters.Add(new NpgsqlParameter { Value = passId });
            var forget = new NpgsqlBatchCommand("DELETE FROM cloudshelf_sync.drift_seen_keys WHERE pass_id = $1");
            forget.Parameters.Add(new NpgsqlParameter { Value = passId });
            batch.BatchCommands.Add(resolve);
            batch.BatchCommands.Add(complete);
            batch.BatchCommands.Add(forget);
            await batch.ExecuteNonQueryAsync(cancellationToken);
        }
        await transaction.CommitAsync(cancellationToken);
    }

    /// <summary>Records findings: one open finding per key, updated when seen again; repaired ones resolved at once.</summary>
    internal async Task RecordFindingsAsync(long runId, IReadOnlyList<DriftFinding> findings, CancellationToken cancellationToken)
    {
        if (findings.Count == 0) return;
        await using var command = dataSource.CreateCommand("""
            INSERT INTO cloudshelf_sync.drift_findings AS f
                   (run_id, target_table, item_key, kind, attributes, in_flight, last_seen_run, resolved_at, resolution)
            SELECT $1, u.t, u.k, u.kind, ARRAY(SELECT json_array_elements_text(u.attrs::json)), u.in_flight, $1,
                   CASE WHEN u.repaired THEN now() END, CASE WHEN u.repaired THEN 'repaired' END
            FROM unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::boolean[], $7::boolean[]) AS u(t, k, kind, attrs, in_flight, repaired)
            ON CONFLICT (target_table, item_key) WHERE resolved_at IS NULL DO UPDATE
            SET kind = EXCLUDED.kind, attributes = EXCLUDED.attributes, in_flight = EXCLUDED.in_flight,
                last_seen_run = EXCLUDED.last_seen_run, last_seen_at = now(),
                resolved_at = EXCLUDED.resolved_at, resolution = EXCLUDED.resolution
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = runId });
        command.Parameters.Add(TextArray(findings.Select(f => f.Table)));
        command.Parameters.Add(TextArray(findings.Select(f => f.Key)));
        command.Parameters.Add(TextArray(findings.Select(f => KindName(f.Kind))));
        command.Parameters.Add(TextArray(findings.Select(f => JsonSerializer.Serialize(f.Attributes.ToArray(), DriftJsonContext.Default.StringArray))));
        command.Parameters.Add(new NpgsqlParameter { Value = findings.Select(f => f.InFlight).ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Boolean });
        command.Parameters.Add(new NpgsqlParameter { Value = findings.Select(f => f.Repaired).ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Boolean });
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>Resolves the open findings of keys now found equal.</summary>
    internal async Task ResolveEqualAsync(TableMapping table, IReadOnlyCollection<string> keys, CancellationToken cancellationToken)
    {
        if (keys.Count == 0) return;
        await using var command = dataSource.CreateCommand("""
            UPDATE cloudshelf_sync.drift_findings SET resolved_at = now(), resolution = 'equal'
            WHERE target_table = $1 AND item_key = ANY($2) AND resolved_at IS NULL
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = table.Table });
        command.Parameters.Add(TextArray(keys));
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>Unresolved findings of a table: drift, or (with <paramref name="inFlight"/>) those in flight.</summary>
    public async Task<int> OpenFindingsAsync(string table, bool inFlight, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            "SELECT count(*) FROM cloudshelf_sync.drift_findings WHERE target_table = $1 AND resolved_at IS NULL AND in_flight = $2");
        command.Parameters.Add(new NpgsqlParameter { Value = table });
        command.Parameters.Add(new NpgsqlParameter { Value = inFlight });
        return (int)(long)(await command.ExecuteScalarAsync(cancellationToken))!;
    }

    /// <summary>The word a kind is stored as.</summary>
    public static string KindName(DriftKind kind) => kind switch
    {
        DriftKind.Missing => "missing",
        DriftKind.Extra => "extra",
        _ => "changed",
    };

    private static NpgsqlParameter TextArray(IEnumerable<string> values) =>
        new() { Value = values.ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text };
}
