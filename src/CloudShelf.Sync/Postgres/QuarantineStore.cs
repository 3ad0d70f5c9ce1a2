using CloudShelf.Sync.Streams;
using Npgsql;
using NpgsqlTypes;

namespace CloudShelf.Sync.Postgres;

/// <summary>Reads and resolves quarantine rows.</summary>
public sealed class QuarantineStore(NpgsqlDataSource dataSource)
{
    private const string Columns = """
        quarantine_id, source_table, target_table, item_key, sequence_number, event_name, reason, error_code,
        quarantined_at, replay_attempts, resolved_at, resolution, record::text, deliveries, last_seen_at, conflict_key
        """;

    /// <summary>Quarantined records, oldest first; only open ones unless <paramref name="includeResolved"/>.</summary>
    public async Task<IReadOnlyList<QuarantinedRecord>> ListAsync(
        string? table = null, bool includeResolved = false, int limit = 1000, CancellationToken cancellationToken = default)
    {
        await using var command = dataSource.CreateCommand($"""
            SELECT {Columns} FROM cloudshelf_sync.quarantine
            WHERE ($1::text IS NULL OR target_table = $1 OR source_table = $1)
              AND ($2 OR resolved_at IS NULL)
            ORDER BY quarantine_id
            LIMIT $3
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)table ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
        command.Parameters.Add(new NpgsqlParameter { Value = includeResolved });
        command.Parameters.Add(new NpgsqlParameter { Value = limit });
        return await ReadAsync(command, cancellationToken);
    }

    /// <summary>The open records with the given ids (all open records when <paramref name="ids"/> is null).</summary>
    public async Task<IReadOnlyList<QuarantinedRecord>> OpenAsync(IReadOnlyCollection<long>? ids, CancellationToken cancellationToken = default)
    {
        await using var command = dataSource.CreateCommand($"""
            SELECT {Columns} FROM cloudshelf_sync.quarantine
            WHERE resolved_at IS NULL AND ($1::bigint[] IS NULL OR quarantine_id = ANY($1))
            ORDER BY quarantine_id
            """);
        command.Parameters.Add(new NpgsqlParameter
        {
            Value = (object?)ids?.ToArray() ?? DBNull.Value,
            NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Bigint,
        });
        return await ReadAsync(command, cancellationToken);
    }

    /// <summary>Up to <paramref name="limit"/> open records with ids above <paramref name="afterId"/>, by id: one page of a replay.</summary>
    public async Task<IReadOnlyList<QuarantinedRecord>> OpenPageAsync(long afterId, int limit, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        await using var command = dataSource.CreateCommand($"""
            SELECT {Columns} FROM cloudshelf_sync.quarantine
            WHERE resolved_at IS NULL AND quarantine_id > $1
            ORDER BY quarantine_id
            LIMIT $2
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = afterId });
        command.Parameters.Add(new NpgsqlParameter { Value = limit });
        return await ReadAsync(command, cancellationToken);
    }

    /// <summary>
    /// Open records refused by a unique constraint whose contested value is held by one of the
    /// given rows (which just changed), or that are themselves among <paramref name="entries"/>.
    /// </summary>
    public async Task<IReadOnlyList<QuarantinedRecord>> OpenConflictingAsync(
        IReadOnlyCollection<(string Table, string Key)> holders,
        IReadOnlyCollection<(string Table, string Key, string Sequence)> entries,
        int limit, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(holders);
        ArgumentNullException.ThrowIfNull(entries);
        await using var command = dataSource.CreateCommand($"""
            SELECT {Columns} FROM cloudshelf_sync.quarantine q
            WHERE q.resolved_at IS NULL AND q.conflict_key IS NOT NULL
              AND ((q.target_table, q.conflict_key) IN (SELECT * FROM unnest($1::text[], $2::text[]))
                   OR (q.target_table, q.item_key, q.sequence_number) IN (SELECT * FROM unnest($3::text[], $4::text[], $5::text[])))
            ORDER BY q.quarantine_id
            LIMIT $6
            """);
        command.Parameters.Add(Parameters.Array(holders.Select(h => h.Table).ToArray(), NpgsqlDbType.Text));
        command.Parameters.Add(Parameters.Array(holders.Select(h => h.Key).ToArray(), NpgsqlDbType.Text));
        command.Parameters.Add(Parameters.Array(entries.Select(e => e.Table).ToArray(), NpgsqlDbType.Text));
        command.Parameters.Add(Parameters.Array(entries.Select(e => e.Key).ToArray(), NpgsqlDbType.Text));
        command.Parameters.Add(Parameters.Array(entries.Select(e => e.Sequence).ToArray(), NpgsqlDbType.Text));
        command.Parameters.Add(new NpgsqlParameter { Value = limit });
        return await ReadAsync(command, cancellationToken);
    }

    private IReadOnlySet<string>? _uniqueTables;

    /// <summary>
    /// The synced tables with a single-column unique constraint besides their key (users: email),
    /// read from the catalog once per process: only their rows can hold a value another record contests.
    /// </summary>
    public async Task<IReadOnlySet<string>> TablesWithUniqueColumnsAsync(CancellationToken cancellationToken = default)
    {
        if (_uniqueTables is { } known) return known;
        await using var command = dataSource.CreateCommand("""
            SELECT DISTINCT c.conrelid::regclass::text FROM pg_constraint c
            WHERE c.contype = 'u' AND cardinality(c.conkey) = 1 AND c.connamespace = 'cloudshelf'::regnamespace
            """);
        var tables = new HashSet<string>(StringComparer.Ordinal);
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                var name = reader.GetString(0);
                tables.Add(name[(name.LastIndexOf('.') + 1)..]);
            }
        }
        return _uniqueTables = tables;
    }

    /// <summary>
    /// Of the open entries given, those whose item PostgreSQL already holds at a later state: the row or
    /// the tombstone carries the entry's sequence number or a later one (compared as numbers).
    /// </summary>
    /// <param name="mapping">The synced tables (key columns).</param>
    /// <param name="entries">Open entries: id, target table, key and sequence number.</param>
    /// <param name="cancellationToken">Cancels the query.</param>
    public async Task<IReadOnlySet<long>> SupersededAsync(Mapping.SyncMapping mapping, IReadOnlyList<(long Id, string Table, string Key, string SequenceNumber)> entries,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(mapping);
        ArgumentNullException.ThrowIfNull(entries);
        var superseded = new HashSet<long>();
        if (entries.Count == 0) return superseded;
        var rows = string.Concat(mapping.Tables.Select(t => $"""

                OR (e.target_table = '{t.Table}' AND EXISTS (SELECT 1 FROM {t.Schema}.{t.Table} AS r WHERE r.{t.KeyColumn} = e.item_key AND r.sync_sequence >= e.sequence_number))
            """));
        await using var command = dataSource.CreateCommand($"""
            SELECT e.quarantine_id
            FROM (SELECT quarantine_id, target_table, item_key, sequence_text::numeric(40, 0) AS sequence_number
                  FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[]) AS u(quarantine_id, target_table, item_key, sequence_text)) AS e
            WHERE EXISTS (SELECT 1 FROM cloudshelf_sync.tombstones AS t
                          WHERE t.target_table = e.target_table AND t.item_key = e.item_key AND t.sequence_number >= e.sequence_number){rows}
            """);
        command.Parameters.Add(Parameters.Array(entries.Select(e => e.Id).ToArray(), NpgsqlDbType.Bigint));
        command.Parameters.Add(Parameters.Array(entries.Select(e => e.Table).ToArray(), NpgsqlDbType.Text));
        command.Parameters.Add(Parameters.Array(entries.Select(e => e.Key).ToArray(), NpgsqlDbType.Text));
        // As text: a sequence number has up to 40 digits, more than decimal holds.
        command.Parameters.Add(Parameters.Array(entries.Select(e => e.SequenceNumber).ToArray(), NpgsqlDbType.Text));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken)) superseded.Add(reader.GetInt64(0));
        return superseded;
    }

    /// <summary>Marks records resolved, each with how (applied, superseded, skipped).</summary>
    public async Task ResolveAsync(IReadOnlyList<(long Id, string Resolution)> resolved, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(resolved);
        if (resolved.Count == 0) return;
        await using var command = dataSource.CreateCommand("""
            UPDATE cloudshelf_sync.quarantine AS q
            SET resolved_at = now(), resolution = u.resolution,
                replay_attempts = q.replay_attempts + 1, last_replayed_at = now()
            FROM unnest($1::bigint[], $2::text[]) AS u(quarantine_id, resolution)
            WHERE q.quarantine_id = u.quarantine_id AND q.resolved_at IS NULL
            """);
        command.Parameters.Add(Parameters.Array(resolved.Select(r => r.Id).ToArray(), NpgsqlDbType.Bigint));
        command.Parameters.Add(Parameters.Array(resolved.Select(r => r.Resolution).ToArray(), NpgsqlDbType.Text));
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    private static async Task<IReadOnlyList<QuarantinedRecord>> ReadAsync(NpgsqlCommand command, CancellationToken cancellationToken)
    {
        var records = new List<QuarantinedRecord>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            records.Add(new QuarantinedRecord(
                reader.GetInt64(0),
                reader.IsDBNull(1) ? null : reader.GetString(1),
                reader.IsDBNull(2) ? null : reader.GetString(2),
                reader.IsDBNull(3) ? null : reader.GetString(3),
                reader.IsDBNull(4) ? null : reader.GetString(4),
                reader.IsDBNull(5) ? null : reader.GetString(5),
                reader.GetString(6),
                reader.IsDBNull(7) ? null : reader.GetString(7),
                reader.GetFieldValue<DateTimeOffset>(8),
                reader.GetInt32(9),
                reader.IsDBNull(10) ? null : reader.GetFieldValue<DateTimeOffset>(10),
                reader.IsDBNull(11) ? null : reader.GetString(11),
                reader.GetString(12))
            {
                Deliveries = reader.GetInt32(13),
                LastSeenAt = reader.IsDBNull(14) ? null : reader.GetFieldValue<DateTimeOffset>(14),
                ConflictKey = reader.IsDBNull(15) ? null : reader.GetString(15),
            });
        }
        return records;
    }
}
