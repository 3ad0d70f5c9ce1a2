using System.Text;
using CloudShelf.Sync.Backfill;
using CloudShelf.Sync.Mapping;
using CloudShelf.Sync.Streams;
using CloudShelf.Sync.StreamSync;
using Npgsql;
using NpgsqlTypes;
using AttributeValue = CloudShelf.Sync.Streams.AttributeValue;

namespace CloudShelf.Sync.Drift;

/// <summary>
/// Re-applies DynamoDB's current state to a row through the ordering guards, so that a repair never
/// overwrites a change that arrived after its read and never stands in the way of a later one:
/// <list type="bullet">
/// <item>a missing row is inserted like the backfill (sequence number 0, through the stream's guarded
/// merge: any row the stream wrote, and any tombstone, outrank it);</item>
/// <item>a changed row is rewritten only if its <c>sync_sequence</c> is still the one read
/// (compare-and-set) and no tombstone outranks it, and it keeps that sequence number, so every later
/// stream change (a higher number) still applies over it;</item>
/// <item>an extra row is removed only if unchanged since read, leaving a tombstone at its sequence
/// number so that an older change delivered late cannot bring it back.</item>
/// </list>
/// </summary>
public sealed class DriftRepairer
{
    private readonly NpgsqlDataSource _dataSource;
    private readonly IChangeWriter _writer;
    private readonly Dictionary<TableMapping, TableRepairSql> _sql = [];

    /// <summary>Prepares the statements of every mapped table.</summary>
    public DriftRepairer(NpgsqlDataSource dataSource, IChangeWriter writer, SyncMapping mapping)
    {
        ArgumentNullException.ThrowIfNull(mapping);
        _dataSource = dataSource ?? throw new ArgumentNullException(nameof(dataSource));
        _writer = writer ?? throw new ArgumentNullException(nameof(writer));
        foreach (var table in mapping.Tables) _sql[table] = new TableRepairSql(table);
    }

    /// <summary>Inserts the row of an item PostgreSQL lacks; false when a row or a tombstone got there first.</summary>
    public async Task<bool> InsertMissingAsync(TableMapping table, IReadOnlyDictionary<string, AttributeValue> item, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(table);
        var row = ItemMapper.Map(table, item);
        var change = new Change
        {
            Table = table,
            Key = row.Key,
            SequenceNumber = Backfiller.BackfillSequence,
            Kind = ChangeKind.Upsert,
            Row = row,
            Records = [new SourceRecord(new DynamoDBStreamRecord
            {
                EventName = "INSERT",
                EventSource = "cloudshelf:drift-repair",
                Dynamodb = new StreamRecord { SequenceNumber = Backfiller.BackfillSequence, NewImage = item.ToDictionary(a => a.Key, a => a.Value), StreamViewType = "NEW_IMAGE" },
            }, table.SourceTable)],
        };
        var result = await _writer.WriteAsync([change], [], cancellationToken);
        return result.Won.Contains(change);
    }

    /// <summary>
    /// Rewrites a row with the item's state if its <c>sync_sequence</c> is still <paramref name="observedSequence"/>;
    /// false when a newer change (or a delete) got there first.
    /// </summary>
    public async Task<bool> RewriteChangedAsync(TableMapping table, IReadOnlyDictionary<string, AttributeValue> item, string observedSequence,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(table);
        var row = ItemMapper.Map(table, item);
        var sql = _sql[table];
        await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await using (var update = new NpgsqlCommand(sql.Update, connection, transaction))
        {
            update.Parameters.Add(new NpgsqlParameter { Value = row.Key });
            update.Parameters.Add(new NpgsqlParameter { Value = observedSequence, NpgsqlDbType = NpgsqlDbType.Text });
            for (var i = 0; i < table.Columns.Count; i++)
                update.Parameters.Add(Value(table.Columns[i].Type, row.Values[i]));
            update.Parameters.Add(new NpgsqlParameter { Value = row.AttributesJson, NpgsqlDbType = NpgsqlDbType.Text });
            if (await update.ExecuteNonQueryAsync(cancellationToken) != 1)
            {
                await transaction.RollbackAsync(cancellationToken);
                return false;
            }
        }
        // The row is locked now; its lines follow it.
        for (var c = 0; c < table.Children.Count; c++)
        {
            var child = table.Children[c];
            await using var batch = new NpgsqlBatch(connection, transaction);
            var clear = new NpgsqlBatchCommand(sql.ClearChildren[c]);
            clear.Parameters.Add(new NpgsqlParameter { Value = row.Key });
            batch.BatchCommands.Add(clear);
            var lines = row.Children[c];
            if (lines.Count > 0)
            {
                var insert = new NpgsqlBatchCommand(sql.InsertChildren[c]);
                insert.Parameters.Add(new NpgsqlParameter { Value = row.Key });
                insert.Parameters.Add(new NpgsqlParameter { Value = lines.Select(l => l.Position).ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Integer });
                for (var i = 0; i < child.Columns.Count; i++)
                    insert.Parameters.Add(ColumnArray(child.Columns[i].Type, lines.Select(l => l.Values[i]).ToArray()));
                batch.BatchCommands.Add(insert);
            }
            await batch.ExecuteNonQueryAsync(cancellationToken);
        }
        await transaction.CommitAsync(cancellationToken);
        return true;
    }

    /// <summary>Removes a row DynamoDB does not have, if its <c>sync_sequence</c> is still <paramref name="observedSequence"/>.</summary>
    public async Task<bool> RemoveExtraAsync(TableMapping table, string key, string observedSequence, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(table);
        await using var command = _dataSource.CreateCommand(_sql[table].Remove);
        command.Parameters.Add(new NpgsqlParameter { Value = key });
        command.Parameters.Add(new NpgsqlParameter { Value = observedSequence, NpgsqlDbType = NpgsqlDbType.Text });
        return (long)(await command.ExecuteScalarAsync(cancellationToken))! == 1;
    }

    private static NpgsqlParameter Value(ColumnType type, object? value) => type switch
    {
        ColumnType.Integer => new NpgsqlParameter { Value = value ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Integer },
        ColumnType.Boolean => new NpgsqlParameter { Value = value ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Boolean },
        ColumnType.Date => new NpgsqlParameter { Value = value ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Date },
        ColumnType.Timestamp => new NpgsqlParameter { Value = value ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.TimestampTz },
        ColumnType.TextArray => new NpgsqlParameter { Value = value ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text },
        // numeric and jsonb travel as text and are cast in the statement.
        _ => new NpgsqlParameter { Value = value ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text },
    };

    private static NpgsqlParameter ColumnArray(ColumnType type, object?[] values) => type switch
    {
        ColumnType.Integer => new NpgsqlParameter { Value = values.Select(v => (int?)v).ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Integer },
        ColumnType.Boolean => new NpgsqlParameter { Value = values.Select(v => (bool?)v).ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Boolean },
        ColumnType.Date => new NpgsqlParameter { Value = values.Select(v => (DateOnly?)v).ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Date },
        ColumnType.Timestamp => new NpgsqlParameter { Value = values.Select(v => (DateTime?)v).ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.TimestampTz },
        // unnest would flatten an array of arrays: text[] values travel as array literals.
        ColumnType.TextArray => new NpgsqlParameter { Value = values.Select(v => v is string[] a ? ColumnValues.ArrayLiteral(a) : null).ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text },
        _ => new NpgsqlParameter { Value = values.Select(v => (string?)v).ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text },
    };

    internal static string Cast(ColumnType type) => type switch
    {
        ColumnType.Numeric => "::numeric",
        ColumnType.Json => "::jsonb",
        _ => "",
    };

    private static string ArrayCast(ColumnType type) => type switch
    {
        ColumnType.Integer => "::integer[]",
        ColumnType.Boolean => "::boolean[]",
        ColumnType.Date => "::date[]",
        ColumnType.Timestamp => "::timestamptz[]",
        _ => "::text[]",
    };

    private sealed class TableRepairSql
    {
        public TableRepairSql(TableMapping table)
        {
            var target = $"{table.Schema}.{table.Table}";
            var set = new StringBuilder();
            var p = 3;
            foreach (var column in table.Columns)
                set.Append(column.Column).Append(" = $").Append(p++).Append(Cast(column.Type)).Append(", ");
            Update = $"""
                UPDATE {target} AS t SET {set}{table.AttributesColumn} = ${p}::jsonb, synced_at = now()
                WHERE t.{table.KeyColumn} = $1 AND t.sync_sequence = $2::numeric
                  AND NOT EXISTS (SELECT FROM cloudshelf_sync.tombstones d
                                  WHERE d.target_table = '{table.Table}' AND d.item_key = t.{table.KeyColumn} AND d.sequence_number >= t.sync_sequence)
                """;
            Remove = $"""
                WITH gone AS (
                    DELETE FROM {target} AS t WHERE t.{table.KeyColumn} = $1 AND t.sync_sequence = $2::numeric
                    RETURNING t.{table.KeyColumn} AS k, t.sync_sequence AS seq),
                tomb AS (
                    INSERT INTO cloudshelf_sync.tombstones AS d (target_table, item_key, sequence_number)
                    SELECT '{table.Table}', gone.k, gone.seq FROM gone
                    ON CONFLICT (target_table, item_key) DO UPDATE SET sequence_number = EXCLUDED.sequence_number, deleted_at = now()
                    WHERE d.sequence_number < EXCLUDED.sequence_number)
                SELECT count(*) FROM gone
                """;
            ClearChildren = table.Children.Select(c => $"DELETE FROM {table.Schema}.{c.Table} WHERE {c.ParentKeyColumn} = $1").ToArray();
            InsertChildren = table.Children.Select(c =>
            {
                var columns = string.Concat(c.Columns.Select(x => ", " + x.Column));
                var selects = string.Concat(c.Columns.Select((x, i) => $", u.c{i}{(x.Type == ColumnType.TextArray ? "::text[]" : Cast(x.Type))}"));
                var unnest = string.Concat(c.Columns.Select((x, i) => $", ${i + 3}{ArrayCast(x.Type)}"));
                var aliases = string.Concat(c.Columns.Select((_, i) => $", c{i}"));
                return $"INSERT INTO {table.Schema}.{c.Table} ({c.ParentKeyColumn}, {c.PositionColumn}{columns}) " +
                       $"SELECT $1, u.pos{selects} FROM unnest($2::integer[]{unnest}) AS u(pos{aliases})";
            }).ToArray();
        }

        public string Update { get; }
        public string Remove { get; }
        public string[] ClearChildren { get; }
        public string[] InsertChildren { get; }
    }
}
