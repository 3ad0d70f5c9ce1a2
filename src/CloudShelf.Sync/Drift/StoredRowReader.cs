using CloudShelf.Sync.Mapping;
using CloudShelf.Sync.Postgres;
using Npgsql;
using NpgsqlTypes;

namespace CloudShelf.Sync.Drift;

/// <summary>
/// Reads rows as stored (typed columns, <c>attributes</c>, lines, <c>sync_sequence</c>) for a page of
/// keys in one round trip, optionally recording the keys as seen by a pass, and running one more
/// statement (the previous page's checkpoint), in the same trip.
/// </summary>
internal sealed class StoredRowReader
{
    private readonly NpgsqlDataSource _dataSource;
    private readonly Dictionary<TableMapping, (string Rows, string[] Children)> _sql = [];

    public StoredRowReader(NpgsqlDataSource dataSource, SyncMapping mapping)
    {
        _dataSource = dataSource;
        foreach (var table in mapping.Tables)
        {
            var rows = $"SELECT {table.KeyColumn}, sync_sequence::text, {RowReader.SelectList(table.Columns)}, {table.AttributesColumn}::text " +
                       $"FROM {table.Schema}.{table.Table} WHERE {table.KeyColumn} = ANY($1)";
            var children = table.Children.Select(child =>
                $"SELECT {child.ParentKeyColumn}, {child.PositionColumn}, {RowReader.SelectList(child.Columns)} FROM {table.Schema}.{child.Table} " +
                $"WHERE {child.ParentKeyColumn} = ANY($1) ORDER BY {child.ParentKeyColumn}, {child.PositionColumn}").ToArray();
            _sql[table] = (rows, children);
        }
    }

    /// <summary>The rows of the keys that have one; with <paramref name="seenByPass"/>, also records the keys as seen by that pass.</summary>
    /// <param name="table">The table.</param>
    /// <param name="keys">The keys.</param>
    /// <param name="seenByPass">The pass that saw the keys, if any.</param>
    /// <param name="then">
    /// A statement that returns no rows, sent last in the same round trip and committed with it (the
    /// batch is one implicit transaction): last, so that the row locks it takes are held for no longer
    /// than the commit. Run alone when there are no keys.
    /// </param>
    /// <param name="cancellationToken">Cancels the read.</param>
    public async Task<Dictionary<string, StoredRow>> ReadAsync(
        TableMapping table, string[] keys, long? seenByPass, NpgsqlBatchCommand? then, CancellationToken cancellationToken)
    {
        var result = new Dictionary<string, StoredRow>(keys.Length, StringComparer.Ordinal);
        if (keys.Length == 0 && then is null) return result;
        var (rowsSql, childSql) = _sql[table];
        await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken);
        await using var batch = new NpgsqlBatch(connection);
        if (keys.Length == 0)
        {
            batch.BatchCommands.Add(then!);
            await batch.ExecuteNonQueryAsync(cancellationToken);
            return result;
        }
        if (seenByPass is { } pass)
        {
            var seen = new NpgsqlBatchCommand(
                "INSERT INTO cloudshelf_sync.drift_seen_keys (pass_id, item_key) SELECT $1, unnest($2::text[]) ON CONFLICT DO NOTHING");
            seen.Parameters.Add(new NpgsqlParameter { Value = pass, NpgsqlDbType = NpgsqlDbType.Bigint });
            seen.Parameters.Add(KeysParameter(keys));
            batch.BatchCommands.Add(seen);
        }
        var rows = new NpgsqlBatchCommand(rowsSql);
        rows.Parameters.Add(KeysParameter(keys));
        batch.BatchCommands.Add(rows);
        foreach (var sql in childSql)
        {
            var command = new NpgsqlBatchCommand(sql);
            command.Parameters.Add(KeysParameter(keys));
            batch.BatchCommands.Add(command);
        }
        if (then is not null) batch.BatchCommands.Add(then);

        var partial = new Dictionary<string, (string Sequence, object?[] Values, string Attributes)>(keys.Length, StringComparer.Ordinal);
        var children = new Dictionary<string, List<ChildRow>>[table.Children.Count];
        await using (var reader = await batch.ExecuteReaderAsync(cancellationToken))
        {
            // The seen-keys insert (and the statement run last) return no result set of their own to read.
            while (await reader.ReadAsync(cancellationToken))
            {
                var values = RowReader.ReadValues(reader, table.Table, table.Columns, 2);
                partial[reader.GetString(0)] = (reader.GetString(1), values, reader.GetString(table.Columns.Count + 2));
            }
            for (var c = 0; c < table.Children.Count; c++)
            {
                await reader.NextResultAsync(cancellationToken);
                var lines = children[c] = new Dictionary<string, List<ChildRow>>(StringComparer.Ordinal);
                while (await reader.ReadAsync(cancellationToken))
                {
                    var parent = reader.GetString(0);
                    if (!lines.TryGetValue(parent, out var list)) lines[parent] = list = [];
                    list.Add(new ChildRow(reader.GetInt32(1), RowReader.ReadValues(reader, table.Children[c].Table, table.Children[c].Columns, 2)));
                }
            }
        }

        foreach (var (key, (sequence, values, attributes)) in partial)
        {
            var lines = new IReadOnlyList<ChildRow>[table.Children.Count];
            for (var c = 0; c < lines.Length; c++)
                lines[c] = (IReadOnlyList<ChildRow>?)children[c].GetValueOrDefault(key) ?? [];
            result[key] = new StoredRow(key, sequence, values, attributes, lines);
        }
        return result;
    }

    private static NpgsqlParameter KeysParameter(string[] keys) =>
        new() { Value = keys, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text };
}
