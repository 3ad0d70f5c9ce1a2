using CloudShelf.Sync.Mapping;
using CloudShelf.Sync.StreamSync;
using Npgsql;
using NpgsqlTypes;

namespace CloudShelf.Sync.Postgres;

/// <summary>
/// For changes refused by a single-column unique constraint on a mapped text column (users.email):
/// which row holds the contested value. That tells a swap or a handover (the holder is itself
/// changing) from a genuine duplicate, and lets a quarantined change be tried again when its
/// holder changes. The values themselves never leave this class.
/// </summary>
internal static class UniqueHolders
{
    /// <summary>The key of the row holding each change's contested value, where one other row does.</summary>
    public static async Task<Dictionary<Change, string>> FindAsync(
        NpgsqlDataSource dataSource, IReadOnlyList<(Change Change, PostgresException Error)> refused, CancellationToken cancellationToken)
    {
        var holders = new Dictionary<Change, string>(ReferenceEqualityComparer.Instance);
        var groups = refused
            .Where(r => r.Error.SqlState == PostgresErrorCodes.UniqueViolation && r.Error.ConstraintName is not null && r.Change.Row is not null)
            .GroupBy(r => (r.Change.Table, Constraint: r.Error.ConstraintName!))
            .ToList();
        if (groups.Count == 0) return holders;

        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        foreach (var group in groups)
        {
            var table = group.Key.Table;
            var column = await ConstraintColumnAsync(connection, table, group.Key.Constraint, cancellationToken);
            var index = -1;
            for (var i = 0; i < table.Columns.Count; i++)
            {
                if (table.Columns[i].Type == ColumnType.Text && string.Equals(table.Columns[i].Column, column, StringComparison.Ordinal)) index = i;
            }
            if (index < 0) continue;

            var wanted = group.Where(r => r.Change.Row!.Values[index] is string).ToList();
            // Column and table names come from the mapping, never from the database's message.
            await using var command = new NpgsqlCommand(
                $"SELECT {table.KeyColumn}, {table.Columns[index].Column} FROM {table.Schema}.{table.Table} WHERE {table.Columns[index].Column} = ANY($1)",
                connection);
            command.Parameters.Add(Parameters.Array(wanted.Select(r => (string)r.Change.Row!.Values[index]!).Distinct(StringComparer.Ordinal).ToArray(), NpgsqlDbType.Text));
            var byValue = new Dictionary<string, string>(StringComparer.Ordinal);
            await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
            {
                while (await reader.ReadAsync(cancellationToken)) byValue[reader.GetString(1)] = reader.GetString(0);
            }
            foreach (var (change, _) in wanted)
            {
                if (byValue.TryGetValue((string)change.Row!.Values[index]!, out var holder) && !string.Equals(holder, change.Key, StringComparison.Ordinal))
                    holders[change] = holder;
            }
        }
        return holders;
    }

    private static async Task<string?> ConstraintColumnAsync(NpgsqlConnection connection, TableMapping table, string constraint, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand("""
            SELECT a.attname FROM pg_constraint c
            JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = ANY (c.conkey)
            WHERE c.conname = $1 AND c.conrelid = $2::text::regclass
            """, connection);
        command.Parameters.Add(new NpgsqlParameter { Value = constraint });
        command.Parameters.Add(new NpgsqlParameter { Value = $"{table.Schema}.{table.Table}" });
        var columns = new List<string>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken)) columns.Add(reader.GetString(0));
        return columns.Count == 1 ? columns[0] : null;
    }
}
