using System.Text;
using CloudShelf.Sync.Mapping;
using CloudShelf.Sync.StreamSync;
using Npgsql;
using NpgsqlTypes;

namespace CloudShelf.Sync.Postgres;

/// <summary>
/// The set-based statements of one mapped table, built once from its mapping. Every row of a batch
/// travels as one array parameter per column and is unnested server-side. Per table and batch:
/// <list type="number">
/// <item><b>merge</b>: one INSERT ... ON CONFLICT over every key of the batch in ascending order,
/// deletes included (as placeholder rows), so that each transaction locks its rows in one global
/// order and concurrent batches cannot deadlock. A placeholder carries neutral non-NULL values
/// (see <see cref="Placeholder"/>), so a NOT NULL constraint added to a mapped column later
/// never refuses a delete; the placeholder is deleted in the same transaction and nobody sees it. The row's <c>sync_sequence</c> guards the update;
/// a tombstone at least as new keeps the key out.</item>
/// <item><b>delete</b> (when the batch has deletes): removes the rows that now hold a delete and
/// records their tombstones.</item>
/// <item><b>recheck</b> (when it has upserts): the merge read the tombstones before it waited for
/// row locks; a batch that deleted one of our keys and committed meanwhile left a tombstone this
/// new statement sees, and a row it would have resurrected goes again.</item>
/// <item>the <b>child lines</b> of the rows that now hold this very change.</item>
/// </list>
/// Each RETURNING yields (outcome, table, key) so that the writer can tell which changes won.
/// </summary>
internal sealed class TableStatements
{
    public const string Written = "written";
    public const string Deleted = "deleted";
    public const string Undone = "undone";

    private readonly TableMapping _table;
    private readonly string _mergeSql;
    private readonly string _deleteSql;
    private readonly string _recheckSql;
    private readonly ChildStatements[] _children;

    public TableStatements(TableMapping table)
    {
        _table = table;
        var target = $"{table.Schema}.{table.Table}";
        var columns = new StringBuilder(table.KeyColumn);
        var selects = new StringBuilder("u.k");
        var unnest = new StringBuilder("$1::text[]");
        var aliases = new StringBuilder("k");
        var updates = new StringBuilder();
        var p = 2;
        for (var i = 0; i < table.Columns.Count; i++)
        {
            var column = table.Columns[i];
            columns.Append(", ").Append(column.Column);
            selects.Append(", u.c").Append(i).Append(Cast(column.Type));
            unnest.Append(", $").Append(p++).Append(ParameterType(column.Type));
            aliases.Append(", c").Append(i);
            updates.Append(column.Column).Append(" = EXCLUDED.").Append(column.Column).Append(", ");
        }
        _mergeSql = $"""
            INSERT INTO {target} AS t ({columns}, {table.AttributesColumn}, sync_sequence, sync_changed_at, synced_at)
            SELECT {selects}, u.attrs::jsonb, u.seq::numeric, u.changed_at, now()
            FROM unnest({unnest}, ${p}::text[], ${p + 1}::text[], ${p + 2}::timestamptz[])
                 WITH ORDINALITY AS u({aliases}, attrs, seq, changed_at, ord)
            WHERE NOT EXISTS (SELECT FROM cloudshelf_sync.tombstones d
                              WHERE d.target_table = '{table.Table}' AND d.item_key = u.k AND d.sequence_number >= u.seq::numeric)
            ORDER BY u.ord
            ON CONFLICT ({table.KeyColumn}) DO UPDATE
            SET {updates}{table.AttributesColumn} = EXCLUDED.{table.AttributesColumn},
                sync_sequence = EXCLUDED.sync_sequence, sync_changed_at = EXCLUDED.sync_changed_at, synced_at = EXCLUDED.synced_at
            WHERE t.sync_sequence < EXCLUDED.sync_sequence
            RETURNING '{Written}', '{table.Table}', t.{table.KeyColumn}
            """;

        _deleteSql = $"""
            WITH gone AS (
                DELETE FROM {target} AS t
                USING unnest($1::text[], $2::text[], $3::boolean[], $4::timestamptz[]) AS u(k, seq, ttl, changed_at)
                WHERE t.{table.KeyColumn} = u.k AND t.sync_sequence = u.seq::numeric
                RETURNING u.k, u.seq, u.ttl, u.changed_at)
            INSERT INTO cloudshelf_sync.tombstones AS d (target_table, item_key, sequence_number, ttl_delete, changed_at)
            SELECT '{table.Table}', gone.k, gone.seq::numeric, gone.ttl, gone.changed_at FROM gone
            ON CONFLICT (target_table, item_key) DO UPDATE
            SET sequence_number = EXCLUDED.sequence_number, ttl_delete = EXCLUDED.ttl_delete,
                changed_at = EXCLUDED.changed_at, deleted_at = now()
            WHERE d.sequence_number < EXCLUDED.sequence_number
            RETURNING '{Deleted}', '{table.Table}', d.item_key
            """;

        _recheckSql = $"""
            DELETE FROM {target} AS t
            USING unnest($1::text[]) AS u(k)
            JOIN cloudshelf_sync.tombstones d ON d.target_table = '{table.Table}' AND d.item_key = u.k
            WHERE t.{table.KeyColumn} = u.k AND d.sequence_number >= t.sync_sequence
            RETURNING '{Undone}', '{table.Table}', t.{table.KeyColumn}
            """;
        _children = table.Children.Select(c => new ChildStatements(table, c)).ToArray();
    }

    /// <summary>Adds this table's statements for its changes (sorted by key) to the batch.</summary>
    public void AddTo(NpgsqlBatch batch, List<Change> changes)
    {
        // One pass over the changes fills the merge's row-independent arrays and counts the deletes;
        // the per-column arrays are filled column by column below. Plain loops: this runs once per
        // batch and table, over every record, on the path the benchmark times.
        var n = changes.Count;
        var keys = new string[n];
        var attributes = new string[n];
        var sequences = new string[n];
        var changedAt = new DateTime?[n];
        var deleteCount = 0;
        for (var r = 0; r < n; r++)
        {
            var change = changes[r];
            keys[r] = change.Key;
            attributes[r] = change.Row?.AttributesJson ?? "{}";
            sequences[r] = change.SequenceNumber;
            changedAt[r] = change.ChangedAt?.UtcDateTime;
            if (change.Kind == ChangeKind.Delete) deleteCount++;
        }

        var merge = new NpgsqlBatchCommand(_mergeSql);
        merge.Parameters.Add(Parameters.Array(keys, NpgsqlDbType.Text));
        for (var i = 0; i < _table.Columns.Count; i++)
            merge.Parameters.Add(ColumnArray(_table.Columns[i].Type, changes, i));
        merge.Parameters.Add(Parameters.Array(attributes, NpgsqlDbType.Text));
        merge.Parameters.Add(Parameters.Array(sequences, NpgsqlDbType.Text));
        merge.Parameters.Add(Parameters.Array(changedAt, NpgsqlDbType.TimestampTz));
        batch.BatchCommands.Add(merge);

        List<Change> upserts;
        string[] upsertKeys;
        if (deleteCount == 0)
        {
            upserts = changes;
            upsertKeys = keys;
        }
        else
        {
            var deleteKeys = new string[deleteCount];
            var deleteSequences = new string[deleteCount];
            var deleteTtl = new bool[deleteCount];
            var deleteChangedAt = new DateTime?[deleteCount];
            upserts = new List<Change>(n - deleteCount);
            var d = 0;
            foreach (var change in changes)
            {
                if (change.Kind != ChangeKind.Delete)
                {
                    upserts.Add(change);
                    continue;
                }
                deleteKeys[d] = change.Key;
                deleteSequences[d] = change.SequenceNumber;
                deleteTtl[d] = change.TtlDelete;
                deleteChangedAt[d] = change.ChangedAt?.UtcDateTime;
                d++;
            }
            var delete = new NpgsqlBatchCommand(_deleteSql);
            delete.Parameters.Add(Parameters.Array(deleteKeys, NpgsqlDbType.Text));
            delete.Parameters.Add(Parameters.Array(deleteSequences, NpgsqlDbType.Text));
            delete.Parameters.Add(Parameters.Array(deleteTtl, NpgsqlDbType.Boolean));
            delete.Parameters.Add(Parameters.Array(deleteChangedAt, NpgsqlDbType.TimestampTz));
            batch.BatchCommands.Add(delete);

            upsertKeys = new string[upserts.Count];
            for (var r = 0; r < upsertKeys.Length; r++) upsertKeys[r] = upserts[r].Key;
        }

        if (upserts.Count == 0) return;
        var recheck = new NpgsqlBatchCommand(_recheckSql);
        recheck.Parameters.Add(Parameters.Array(upsertKeys, NpgsqlDbType.Text));
        batch.BatchCommands.Add(recheck);

        for (var c = 0; c < _children.Length; c++)
            _children[c].AddTo(batch, upserts, c);
    }

    /// <summary>Column <paramref name="column"/> of every change's row; a delete's placeholder row takes neutral values.</summary>
    private static NpgsqlParameter ColumnArray(ColumnType type, List<Change> changes, int column)
    {
        var values = new object?[changes.Count];
        for (var r = 0; r < values.Length; r++)
            values[r] = changes[r].Row is { } row ? row.Values[column] : Placeholder(type, changes[r].Key);
        return ColumnArray(type, values);
    }

    /// <summary>
    /// The value a delete's placeholder row carries in a column: never NULL, so that the merge can
    /// lock the key in order whatever NOT NULL constraints the table has gained; text carries the
    /// item's key, so that placeholders never collide on a unique column such as users.email.
    /// </summary>
    internal static object Placeholder(ColumnType type, string key) => type switch
    {
        ColumnType.Numeric => "0",
        ColumnType.Integer => 0,
        ColumnType.Boolean => false,
        ColumnType.Date => new DateOnly(1970, 1, 1),
        ColumnType.Timestamp => DateTime.UnixEpoch,
        ColumnType.TextArray => Array.Empty<string>(),
        ColumnType.Json => "{}",
        _ => "deleted " + key,
    };

    /// <summary>The SQL cast from the parameter's element type to the column type, where they differ.</summary>
    internal static string Cast(ColumnType type) => type switch
    {
        ColumnType.Numeric => "::numeric",
        ColumnType.TextArray => "::text[]",
        ColumnType.Json => "::jsonb",
        _ => "",
    };

    internal static string ParameterType(ColumnType type) => type switch
    {
        ColumnType.Integer => "::integer[]",
        ColumnType.Boolean => "::boolean[]",
        ColumnType.Date => "::date[]",
        ColumnType.Timestamp => "::timestamptz[]",
        // numeric travels as text: it may carry more digits than any CLR number type holds.
        _ => "::text[]",
    };

    /// <summary>One column of n rows as a typed array parameter.</summary>
    internal static NpgsqlParameter ColumnArray(ColumnType type, int n, Func<int, object?> value)
    {
        var values = new object?[n];
        for (var r = 0; r < n; r++) values[r] = value(r);
        return ColumnArray(type, values);
    }

    /// <summary>A column's values (as the mapper returns them) as a typed array parameter.</summary>
    internal static NpgsqlParameter ColumnArray(ColumnType type, object?[] values)
    {
        switch (type)
        {
            case ColumnType.Integer:
                return Parameters.Array(Unbox<int>(values), NpgsqlDbType.Integer);
            case ColumnType.Boolean:
                return Parameters.Array(Unbox<bool>(values), NpgsqlDbType.Boolean);
            case ColumnType.Date:
                return Parameters.Array(Unbox<DateOnly>(values), NpgsqlDbType.Date);
            case ColumnType.Timestamp:
                return Parameters.Array(Unbox<DateTime>(values), NpgsqlDbType.TimestampTz);
            case ColumnType.TextArray:
                var literals = new string?[values.Length];
                for (var r = 0; r < values.Length; r++)
                    literals[r] = values[r] is string[] array ? ColumnValues.ArrayLiteral(array) : null;
                return Parameters.Array(literals, NpgsqlDbType.Text);
            default:
                var texts = new string?[values.Length];
                for (var r = 0; r < values.Length; r++) texts[r] = (string?)values[r];
                return Parameters.Array(texts, NpgsqlDbType.Text);
        }
    }

    private static T?[] Unbox<T>(object?[] values) where T : struct
    {
        var array = new T?[values.Length];
        for (var r = 0; r < values.Length; r++) array[r] = (T?)values[r];
        return array;
    }
}
