using System.Text;
using CloudShelf.Sync.Mapping;
using CloudShelf.Sync.StreamSync;
using Npgsql;
using NpgsqlTypes;

namespace CloudShelf.Sync.Postgres;

/// <summary>
/// A list attribute's lines: lines past the new length go, the others are upserted. Both only for
/// parents whose row now holds this very change, so a stale change never touches the lines.
/// </summary>
internal sealed class ChildStatements
{
    private readonly ChildListMapping _child;
    private readonly string _trimSql;
    private readonly string _upsertSql;

    public ChildStatements(TableMapping parent, ChildListMapping child)
    {
        _child = child;
        var target = $"{parent.Schema}.{child.Table}";
        var parentJoin = $"JOIN {parent.Schema}.{parent.Table} p ON p.{parent.KeyColumn} = u.k AND p.sync_sequence = u.seq::numeric";
        _trimSql = $"""
            DELETE FROM {target} AS c
            USING unnest($1::text[], $2::text[], $3::integer[]) AS u(k, seq, n)
            {parentJoin}
            WHERE c.{child.ParentKeyColumn} = u.k AND c.{child.PositionColumn} > u.n
            """;

        var columns = new StringBuilder();
        var selects = new StringBuilder();
        var unnest = new StringBuilder();
        var aliases = new StringBuilder();
        var updates = new StringBuilder();
        var old = new StringBuilder();
        var p = 4;
        for (var i = 0; i < child.Columns.Count; i++)
        {
            var column = child.Columns[i];
            var sep = i == 0 ? "" : ", ";
            columns.Append(", ").Append(column.Column);
            selects.Append(", u.c").Append(i).Append(TableStatements.Cast(column.Type));
            unnest.Append(", $").Append(p++).Append(TableStatements.ParameterType(column.Type));
            aliases.Append(", c").Append(i);
            updates.Append(sep).Append(column.Column).Append(" = EXCLUDED.").Append(column.Column);
            old.Append(sep).Append("c.").Append(column.Column);
        }
        var excluded = old.ToString().Replace("c.", "EXCLUDED.", StringComparison.Ordinal);
        _upsertSql = $"""
            INSERT INTO {target} AS c ({child.ParentKeyColumn}, {child.PositionColumn}{columns})
            SELECT u.k, u.pos{selects}
            FROM unnest($1::text[], $2::text[], $3::integer[]{unnest}) WITH ORDINALITY AS u(k, seq, pos{aliases}, ord)
            {parentJoin}
            ORDER BY u.ord
            ON CONFLICT ({child.ParentKeyColumn}, {child.PositionColumn}) DO UPDATE
            SET {updates}
            WHERE ({old}) IS DISTINCT FROM ({excluded})
            """;
    }

    public void AddTo(NpgsqlBatch batch, List<Change> upserts, int childIndex)
    {
        var trim = new NpgsqlBatchCommand(_trimSql);
        trim.Parameters.Add(Parameters.Array(upserts.Select(c => c.Key).ToArray(), NpgsqlDbType.Text));
        trim.Parameters.Add(Parameters.Array(upserts.Select(c => c.SequenceNumber).ToArray(), NpgsqlDbType.Text));
        trim.Parameters.Add(Parameters.Array(upserts.Select(c => c.Row!.Children[childIndex].Count).ToArray(), NpgsqlDbType.Integer));
        batch.BatchCommands.Add(trim);

        var lines = new List<(Change Change, ChildRow Row)>();
        foreach (var change in upserts)
        {
            foreach (var row in change.Row!.Children[childIndex]) lines.Add((change, row));
        }
        if (lines.Count == 0) return;

        var upsert = new NpgsqlBatchCommand(_upsertSql);
        upsert.Parameters.Add(Parameters.Array(lines.Select(l => l.Change.Key).ToArray(), NpgsqlDbType.Text));
        upsert.Parameters.Add(Parameters.Array(lines.Select(l => l.Change.SequenceNumber).ToArray(), NpgsqlDbType.Text));
        upsert.Parameters.Add(Parameters.Array(lines.Select(l => l.Row.Position).ToArray(), NpgsqlDbType.Integer));
        for (var i = 0; i < _child.Columns.Count; i++)
            upsert.Parameters.Add(TableStatements.ColumnArray(_child.Columns[i].Type, lines.Count, r => lines[r].Row.Values[i]));
        batch.BatchCommands.Add(upsert);
    }
}
