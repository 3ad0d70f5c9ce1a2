using System.Text;
using CloudShelf.Sync.Mapping;
using CloudShelf.Sync.Streams;
using Npgsql;
using NpgsqlTypes;

namespace CloudShelf.Sync.Postgres;

/// <summary>
/// Reads rows back as DynamoDB items (the inverse of the mapping), for comparisons with DynamoDB
/// and for proving the mapping lossless.
/// </summary>
public sealed class RowReader(NpgsqlDataSource dataSource)
{
    /// <summary>The items stored for the given keys; absent keys are absent from the result.</summary>
    public async Task<Dictionary<string, Dictionary<string, AttributeValue>>> ReadItemsAsync(
        TableMapping table, IReadOnlyCollection<string> keys, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(table);
        ArgumentNullException.ThrowIfNull(keys);
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(System.Data.IsolationLevel.RepeatableRead, cancellationToken);
        var keyArray = keys.ToArray();

        var rows = new Dictionary<string, (object?[] Values, string Attributes)>(StringComparer.Ordinal);
        await using (var command = new NpgsqlCommand(
            $"SELECT {table.KeyColumn}, {SelectList(table.Columns)}, {table.AttributesColumn}::text FROM {table.Schema}.{table.Table} WHERE {table.KeyColumn} = ANY($1)",
            connection, transaction))
        {
            command.Parameters.Add(new NpgsqlParameter { Value = keyArray, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text });
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                var values = ReadValues(reader, table.Table, table.Columns, 1);
                rows[reader.GetString(0)] = (values, reader.GetString(table.Columns.Count + 1));
            }
        }

        var children = new Dictionary<string, List<ChildRow>>[table.Children.Count];
        for (var c = 0; c < table.Children.Count; c++)
        {
            var child = table.Children[c];
            children[c] = new Dictionary<string, List<ChildRow>>(StringComparer.Ordinal);
            await using var command = new NpgsqlCommand(
                $"SELECT {child.ParentKeyColumn}, {child.PositionColumn}, {SelectList(child.Columns)} FROM {table.Schema}.{child.Table} " +
                $"WHERE {child.ParentKeyColumn} = ANY($1) ORDER BY {child.ParentKeyColumn}, {child.PositionColumn}",
                connection, transaction);
            command.Parameters.Add(new NpgsqlParameter { Value = keyArray, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text });
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                var parent = reader.GetString(0);
                if (!children[c].TryGetValue(parent, out var lines)) children[c][parent] = lines = [];
                lines.Add(new ChildRow(reader.GetInt32(1), ReadValues(reader, child.Table, child.Columns, 2)));
            }
        }

        var items = new Dictionary<string, Dictionary<string, AttributeValue>>(StringComparer.Ordinal);
        foreach (var (key, (values, attributes)) in rows)
        {
            var lines = children.Select(c => (IReadOnlyList<ChildRow>?)c.GetValueOrDefault(key) ?? []).ToList();
            items[key] = ItemMapper.Rebuild(table, key, values, attributes, lines);
        }
        return items;
    }

    internal static string SelectList(IReadOnlyList<ColumnMapping> columns)
    {
        var select = new StringBuilder();
        foreach (var column in columns)
        {
            if (select.Length > 0) select.Append(", ");
            select.Append(column.Column);
            // numeric as text keeps every digit; jsonb as text for the plain-JSON reader.
            if (column.Type is ColumnType.Numeric or ColumnType.Json) select.Append("::text");
        }
        return select.ToString();
    }

    // The key is column 0 of both the row and the child-line queries.
    internal static object?[] ReadValues(NpgsqlDataReader reader, string tableName, IReadOnlyList<ColumnMapping> columns, int offset)
    {
        var values = new object?[columns.Count];
        for (var i = 0; i < columns.Count; i++)
        {
            var ordinal = offset + i;
            if (reader.IsDBNull(ordinal)) continue;
            try
            {
                values[i] = columns[i].Type switch
                {
                    ColumnType.Integer => reader.GetInt32(ordinal),
                    ColumnType.Boolean => reader.GetBoolean(ordinal),
                    ColumnType.Date => reader.GetFieldValue<DateOnly>(ordinal),
                    ColumnType.Timestamp => reader.GetFieldValue<DateTime>(ordinal),
                    ColumnType.TextArray => reader.GetFieldValue<string[]>(ordinal),
                    _ => reader.GetString(ordinal),
                };
            }
            catch (InvalidCastException e) when (columns[i].Type is ColumnType.Date or ColumnType.Timestamp)
            {
                // Npgsql.DisableDateTimeInfinityConversions: an infinite date is refused instead of
                // becoming DateTime.MinValue/MaxValue, which would pass for a real date.
                throw new InvalidDataException(
                    $"{tableName}.{columns[i].Column} of '{reader.GetString(0)}' holds a date outside .NET's range (infinity?); no DynamoDB value maps to it.", e);
            }
        }
        return values;
    }
}
