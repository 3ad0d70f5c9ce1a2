using CloudShelf.Sync.Mapping;
using CloudShelf.Sync.Streams;
using Npgsql;
using NpgsqlTypes;

namespace CloudShelf.Sync.Lag;

/// <summary>
/// sync-lag's bookkeeping in PostgreSQL (<c>cloudshelf_sync.lag_pending</c>, <c>lag_shards</c>): whether
/// stream records are in PostgreSQL, decided set-based (one statement per page of records, one batch per
/// table and run, never one per record), and the pending records kept there rather than in memory.
/// </summary>
public sealed class LagStore(NpgsqlDataSource dataSource)
{
    /// <summary>
    /// Records a page of one shard: each record that PostgreSQL does not hold yet joins the pending set;
    /// the highest one it holds raises the shard's applied mark. One round trip.
    /// </summary>
    /// <returns>How many of the page's records are pending and how many are in PostgreSQL.</returns>
    public async Task<(int Pending, int Applied)> RecordPageAsync(TableMapping table, string streamArn, string shardId,
        IReadOnlyList<DynamoDBStreamRecord> records, DateTimeOffset now, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(table);
        ArgumentNullException.ThrowIfNull(records);
        if (records.Count == 0) return (0, 0);
        var sequences = new string[records.Count];
        var keys = new string?[records.Count];
        var events = new string?[records.Count];
        var changed = new DateTimeOffset[records.Count];
        var json = new string[records.Count];
        for (var i = 0; i < records.Count; i++)
        {
            var record = records[i];
            sequences[i] = record.Dynamodb!.SequenceNumber!;
            keys[i] = TryReadKey(table, record);
            events[i] = record.EventName;
            changed[i] = record.Dynamodb.ApproximateCreationDateTime ?? now;
            json[i] = StreamEventSerializer.RecordJson(record);
        }

        await using var command = dataSource.CreateCommand($"""
            WITH page AS (
                SELECT * FROM unnest($1::numeric[], $2::text[], $3::text[], $4::timestamptz[], $5::text[])
                    AS u(sequence_number, item_key, event_name, changed_at, record)
            ), judged AS (
                SELECT page.*, {HeldBy(table, "page", "$9")} AS applied FROM page
            ), pending AS (
                INSERT INTO cloudshelf_sync.lag_pending
                       (stream_arn, shard_id, sequence_number, source_table, target_table, item_key, event_name, changed_at, record, first_seen_at)
                SELECT $6, $7, sequence_number, $8, $9, item_key, event_name, changed_at, record::json, $10
                FROM judged WHERE NOT applied
                ON CONFLICT (stream_arn, shard_id, sequence_number) DO NOTHING
            ), mark AS (
                INSERT INTO cloudshelf_sync.lag_shards AS s (stream_arn, shard_id, applied_sequence)
                SELECT $6, $7, max(sequence_number) FROM judged WHERE applied HAVING count(*) > 0
                ON CONFLICT (stream_arn, shard_id) DO UPDATE SET applied_sequence = GREATEST(s.applied_sequence, EXCLUDED.applied_sequence)
            )
            SELECT count(*) FILTER (WHERE NOT applied)::int, count(*) FILTER (WHERE applied)::int FROM judged
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = sequences, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text });
        command.Parameters.Add(new NpgsqlParameter { Value = keys, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text });
        command.Parameters.Add(new NpgsqlParameter { Value = events, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text });
        command.Parameters.Add(new NpgsqlParameter { Value = changed, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.TimestampTz });
        command.Parameters.Add(new NpgsqlParameter { Value = json, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text });
        command.Parameters.Add(new NpgsqlParameter { Value = streamArn });
        command.Parameters.Add(new NpgsqlParameter { Value = shardId });
        command.Parameters.Add(new NpgsqlParameter { Value = table.SourceTable });
        command.Parameters.Add(new NpgsqlParameter { Value = table.Table });
        command.Parameters.Add(new NpgsqlParameter { Value = now });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        return (reader.GetInt32(0), reader.GetInt32(1));
    }

    /// <summary>
    /// Checks the table's pending records again, in one transaction (one round trip): those now in
    /// PostgreSQL leave the set and raise their shard's mark; those below their shard's mark are marked
    /// overtaken; those overtaken longer than <paramref name="grace"/> ago are quarantined as lost.
    /// </summary>
    public async Task<TableLagState> SettleAsync(TableMapping table, DateTimeOffset now, TimeSpan grace, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(table);
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await using var batch = new NpgsqlBatch(connection, transaction);

        var settle = new NpgsqlBatchCommand($"""
            WITH applied AS (
                DELETE FROM cloudshelf_sync.lag_pending AS p
                WHERE p.target_table = $1 AND {HeldBy(table, "p", "$1")}
                RETURNING p.stream_arn, p.shard_id, p.sequence_number
            )
            INSERT INTO cloudshelf_sync.lag_shards AS s (stream_arn, shard_id, applied_sequence)
            SELECT stream_arn, shard_id, max(sequence_number) FROM applied GROUP BY stream_arn, shard_id
            ON CONFLICT (stream_arn, shard_id) DO UPDATE SET applied_sequence = GREATEST(s.applied_sequence, EXCLUDED.applied_sequence)
            """);
        settle.Parameters.Add(new NpgsqlParameter { Value = table.Table });
        batch.BatchCommands.Add(settle);

        var overtaken = new NpgsqlBatchCommand("""
            UPDATE cloudshelf_sync.lag_pending AS p SET overtaken_at = $2
            FROM cloudshelf_sync.lag_shards AS s
            WHERE p.target_table = $1 AND p.overtaken_at IS NULL
              AND s.stream_arn = p.stream_arn AND s.shard_id = p.shard_id AND s.applied_sequence > p.sequence_number
            """);
        overtaken.Parameters.Add(new NpgsqlParameter { Value = table.Table });
        overtaken.Parameters.Add(new NpgsqlParameter { Value = now });
        batch.BatchCommands.Add(overtaken);

        var lost = new NpgsqlBatchCommand($"""
            WITH lost AS (
                DELETE FROM cloudshelf_sync.lag_pending AS p
                WHERE p.target_table = $1 AND p.overtaken_at <= $2
                -- The sequence number as the record spells it (numeric drops leading zeros), as stream-sync quarantines it.
                RETURNING p.source_table, p.target_table, p.item_key, p.record->'dynamodb'->>'SequenceNumber' AS sequence_number, p.event_name,
                          $3::text AS reason, $4::text AS error_code, p.record::text AS record
            ), {LostChangeQuarantine.InsertFrom("lost")}
            """);
        lost.Parameters.Add(new NpgsqlParameter { Value = table.Table });
        lost.Parameters.Add(new NpgsqlParameter { Value = now - grace });
        lost.Parameters.Add(new NpgsqlParameter { Value = LostChangeQuarantine.LostReason });
        lost.Parameters.Add(new NpgsqlParameter { Value = LostChangeQuarantine.LostCode });
        batch.BatchCommands.Add(lost);

        var state = new NpgsqlBatchCommand("""
            SELECT (SELECT count(*) FROM cloudshelf_sync.lag_pending WHERE target_table = $1),
                   (SELECT min(changed_at) FROM cloudshelf_sync.lag_pending WHERE target_table = $1),
                   (SELECT count(*) FROM cloudshelf_sync.quarantine
                    WHERE target_table = $1 AND resolved_at IS NULL AND error_code IN ($2, $3))
            """);
        state.Parameters.Add(new NpgsqlParameter { Value = table.Table });
        state.Parameters.Add(new NpgsqlParameter { Value = LostChangeQuarantine.LostCode });
        state.Parameters.Add(new NpgsqlParameter { Value = LostChangeQuarantine.OnFailureCode });
        batch.BatchCommands.Add(state);

        TableLagState? result = null;
        var newlyLost = 0;
        await using (var reader = await batch.ExecuteReaderAsync(cancellationToken))
        {
            // Settle and overtaken return no rows; the lost changes' statement one (how many it added), the state one.
            do
            {
                if (reader.FieldCount == 0 || !await reader.ReadAsync(cancellationToken)) continue;
                if (reader.FieldCount == 1) newlyLost = reader.GetInt32(0);
                else
                    result = new TableLagState(
                        reader.GetInt64(0),
                        reader.IsDBNull(1) ? null : reader.GetFieldValue<DateTimeOffset>(1),
                        reader.GetInt64(2),
                        0);
            } while (await reader.NextResultAsync(cancellationToken));
        }
        await transaction.CommitAsync(cancellationToken);
        return (result ?? throw new InvalidOperationException("The lag state query returned no row.")) with { NewlyLost = newlyLost };
    }

    /// <summary>
    /// Of <paramref name="keys"/>, those with a change sync-lag has read from the stream and PostgreSQL does
    /// not hold yet: still in the pending set and not applied since the last sync-lag run (a row, tombstone
    /// or quarantine entry that holds it ends it at once, before sync-lag's next run settles it). A change
    /// found lost has left the set for the quarantine, so its key is no longer pending. One round trip.
    /// </summary>
    public async Task<IReadOnlySet<string>> PendingKeysAsync(TableMapping table, IReadOnlyCollection<string> keys, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(table);
        ArgumentNullException.ThrowIfNull(keys);
        var pending = new HashSet<string>(StringComparer.Ordinal);
        if (keys.Count == 0) return pending;
        await using var command = dataSource.CreateCommand($"""
            SELECT DISTINCT p.item_key FROM cloudshelf_sync.lag_pending AS p
            WHERE p.target_table = $1 AND p.item_key = ANY($2) AND NOT {HeldBy(table, "p", "$1")}
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = table.Table });
        command.Parameters.Add(new NpgsqlParameter { Value = keys.ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken)) pending.Add(reader.GetString(0));
        return pending;
    }

    /// <summary>Open quarantine entries per target table (the DynamoDB table for entries without one). One round trip.</summary>
    public async Task<Dictionary<string, long>> OpenQuarantineAsync(CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("""
            SELECT coalesce(target_table, source_table, 'unknown'), count(*) FROM cloudshelf_sync.quarantine
            WHERE resolved_at IS NULL GROUP BY 1
            """);
        var open = new Dictionary<string, long>(StringComparer.Ordinal);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken)) open[reader.GetString(0)] = reader.GetInt64(1);
        return open;
    }

    /// <summary>Forgets the pending set and shard marks of a stream (with its checkpoints: to read it again from the start).</summary>
    public async Task ResetAsync(string streamArn, CancellationToken cancellationToken)
    {
        await using var batch = dataSource.CreateBatch();
        foreach (var sql in new[] { "DELETE FROM cloudshelf_sync.lag_pending WHERE stream_arn = $1", "DELETE FROM cloudshelf_sync.lag_shards WHERE stream_arn = $1" })
        {
            var command = new NpgsqlBatchCommand(sql);
            command.Parameters.Add(new NpgsqlParameter { Value = streamArn });
            batch.BatchCommands.Add(command);
        }
        await batch.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>
    /// Whether PostgreSQL holds the change of row alias <paramref name="alias"/>: its row or tombstone
    /// carries that sequence number or a later one (numeric compare), or the quarantine holds that very
    /// record, open or resolved.
    /// </summary>
    private static string HeldBy(TableMapping table, string alias, string targetTable) => $"""
        (EXISTS (SELECT 1 FROM {table.Schema}.{table.Table} AS t WHERE t.{table.KeyColumn} = {alias}.item_key AND t.sync_sequence >= {alias}.sequence_number)
         OR EXISTS (SELECT 1 FROM cloudshelf_sync.tombstones AS ts
                    WHERE ts.target_table = {targetTable} AND ts.item_key = {alias}.item_key AND ts.sequence_number >= {alias}.sequence_number)
         OR EXISTS (SELECT 1 FROM cloudshelf_sync.quarantine AS q
                    WHERE q.target_table = {targetTable} AND q.item_key IS NOT DISTINCT FROM {alias}.item_key
                      AND CASE WHEN q.sequence_number ~ '^[0-9]+$' THEN q.sequence_number::numeric END = {alias}.sequence_number))
        """;

    private static string? TryReadKey(TableMapping table, DynamoDBStreamRecord record)
    {
        try
        {
            return Mapping.ItemMapper.ReadKey(table, record.Dynamodb!.Keys ?? record.Dynamodb.NewImage);
        }
        catch (UnmappableRecordException)
        {
            return null;
        }
    }
}
