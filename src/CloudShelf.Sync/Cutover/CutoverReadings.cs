using CloudShelf.Sync.Mapping;
using Npgsql;
using NpgsqlTypes;

namespace CloudShelf.Sync.Cutover;

/// <summary>What the cut-over gate reads from PostgreSQL: read-only queries, one round trip each.</summary>
internal sealed class CutoverReadings(NpgsqlDataSource dataSource)
{
    /// <summary>The server's version string.</summary>
    public async Task<string> ServerVersionAsync(CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("SHOW server_version");
        return (string)(await command.ExecuteScalarAsync(cancellationToken))!;
    }

    /// <summary>
    /// Every column the mapping writes (typed columns, keys, <c>attributes</c>, the bookkeeping columns and
    /// the child tables'), checked against the database: missing ones and ones of a type the writer's
    /// parameters do not fit. Returns how many columns were checked and what is wrong.
    /// </summary>
    public async Task<(int Checked, List<string> Problems)> SchemaProblemsAsync(SyncMapping mapping, CancellationToken cancellationToken)
    {
        var expected = new List<(string Schema, string Table, string Column, ColumnType Type)>();
        foreach (var t in mapping.Tables)
        {
            expected.Add((t.Schema, t.Table, t.KeyColumn, ColumnType.Text));
            expected.AddRange(t.Columns.Select(c => (t.Schema, t.Table, c.Column, c.Type)));
            expected.Add((t.Schema, t.Table, t.AttributesColumn, ColumnType.Json));
            expected.Add((t.Schema, t.Table, "sync_sequence", ColumnType.Numeric));
            expected.Add((t.Schema, t.Table, "sync_changed_at", ColumnType.Timestamp));
            expected.Add((t.Schema, t.Table, "synced_at", ColumnType.Timestamp));
            foreach (var child in t.Children)
            {
                expected.Add((t.Schema, child.Table, child.ParentKeyColumn, ColumnType.Text));
                expected.Add((t.Schema, child.Table, child.PositionColumn, ColumnType.Integer));
                expected.AddRange(child.Columns.Select(c => (t.Schema, child.Table, c.Column, c.Type)));
            }
        }

        await using var command = dataSource.CreateCommand("""
            SELECT table_schema, table_name, column_name, data_type, udt_name FROM information_schema.columns
            WHERE table_schema = ANY($1)
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = expected.Select(e => e.Schema).Distinct().ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text });
        var actual = new Dictionary<(string, string, string), (string DataType, string Udt)>();
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
                actual[(reader.GetString(0), reader.GetString(1), reader.GetString(2))] = (reader.GetString(3), reader.GetString(4));
        }

        var problems = new List<string>();
        foreach (var (schema, table, column, type) in expected)
        {
            if (!actual.TryGetValue((schema, table, column), out var found))
                problems.Add($"{table}.{column} is missing ({Describe(type)} expected)");
            else if (!Fits(type, found.DataType, found.Udt))
                problems.Add($"{table}.{column} is {found.DataType}, the mapping needs {Describe(type)}");
        }
        return (expected.Count, problems);
    }

    /// <summary>Per table: its rows, and the keys held back by open quarantine entries that have no row.</summary>
    public async Task<Dictionary<string, (long Rows, long QuarantinedWithoutRow)>> RowCountsAsync(SyncMapping mapping, CancellationToken cancellationToken)
    {
        await using var batch = dataSource.CreateBatch();
        foreach (var t in mapping.Tables)
        {
            var command = new NpgsqlBatchCommand($"""
                SELECT (SELECT count(*) FROM {t.Schema}.{t.Table}),
                       (SELECT count(DISTINCT q.item_key) FROM cloudshelf_sync.quarantine q
                        WHERE q.target_table = $1 AND q.resolved_at IS NULL AND q.item_key IS NOT NULL
                          AND NOT EXISTS (SELECT FROM {t.Schema}.{t.Table} r WHERE r.{t.KeyColumn} = q.item_key))
                """);
            command.Parameters.Add(new NpgsqlParameter { Value = t.Table });
            batch.BatchCommands.Add(command);
        }
        var counts = new Dictionary<string, (long, long)>(StringComparer.Ordinal);
        await using var reader = await batch.ExecuteReaderAsync(cancellationToken);
        foreach (var t in mapping.Tables)
        {
            await reader.ReadAsync(cancellationToken);
            counts[t.Table] = (reader.GetInt64(0), reader.GetInt64(1));
            await reader.NextResultAsync(cancellationToken);
        }
        return counts;
    }

    /// <summary>
    /// Per table: when its last complete full drift pass (every segment and the extras) started and
    /// completed, and its unresolved findings, drift and in flight apart.
    /// </summary>
    public async Task<Dictionary<string, (DateTimeOffset? Started, DateTimeOffset? Completed, long Drift, long InFlight)>> DriftAsync(
        SyncMapping mapping, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("""
            SELECT t, p.started_at, p.completed_at,
                   (SELECT count(*) FROM cloudshelf_sync.drift_findings f WHERE f.target_table = t AND f.resolved_at IS NULL AND NOT f.in_flight),
                   (SELECT count(*) FROM cloudshelf_sync.drift_findings f WHERE f.target_table = t AND f.resolved_at IS NULL AND f.in_flight)
            FROM unnest($1::text[]) AS t
            LEFT JOIN LATERAL (SELECT started_at, completed_at FROM cloudshelf_sync.drift_passes
                               WHERE target_table = t AND completed_at IS NOT NULL ORDER BY completed_at DESC LIMIT 1) p ON true
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = mapping.Tables.Select(t => t.Table).ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text });
        var drift = new Dictionary<string, (DateTimeOffset?, DateTimeOffset?, long, long)>(StringComparer.Ordinal);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            drift[reader.GetString(0)] = (
                reader.IsDBNull(1) ? null : reader.GetFieldValue<DateTimeOffset>(1),
                reader.IsDBNull(2) ? null : reader.GetFieldValue<DateTimeOffset>(2),
                reader.GetInt64(3), reader.GetInt64(4));
        }
        return drift;
    }

    private static bool Fits(ColumnType type, string dataType, string udt) => type switch
    {
        ColumnType.Text => dataType is "text" or "character varying",
        ColumnType.Numeric => dataType is "numeric",
        // The writer checks that the value fits 32 bits; a wider column takes it too.
        ColumnType.Integer => dataType is "integer" or "bigint" or "numeric",
        ColumnType.Boolean => dataType is "boolean",
        ColumnType.Date => dataType is "date",
        ColumnType.Timestamp => dataType is "timestamp with time zone",
        ColumnType.TextArray => dataType is "ARRAY" && udt is "_text" or "_varchar",
        ColumnType.Json => dataType is "jsonb",
        _ => false,
    };

    private static string Describe(ColumnType type) => type switch
    {
        ColumnType.Text => "text",
        ColumnType.Numeric => "numeric",
        ColumnType.Integer => "integer",
        ColumnType.Boolean => "boolean",
        ColumnType.Date => "date",
        ColumnType.Timestamp => "timestamptz",
        ColumnType.TextArray => "text[]",
        ColumnType.Json => "jsonb",
        _ => type.ToString(),
    };
}
