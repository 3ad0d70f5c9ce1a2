using System.Text.RegularExpressions;

namespace CloudShelf.Sync.Mapping;

/// <summary>The PostgreSQL column types a DynamoDB attribute can be mapped to.</summary>
public enum ColumnType
{
    /// <summary><c>text</c> from an S.</summary>
    Text,
    /// <summary><c>numeric</c> from an N, exact to every digit.</summary>
    Numeric,
    /// <summary><c>integer</c> from an N holding a whole number within 32 bits.</summary>
    Integer,
    /// <summary><c>boolean</c> from a BOOL.</summary>
    Boolean,
    /// <summary><c>date</c> from an S in the form YYYY-MM-DD.</summary>
    Date,
    /// <summary><c>timestamptz</c> from an ISO-8601 S.</summary>
    Timestamp,
    /// <summary><c>text[]</c> from an SS.</summary>
    TextArray,
    /// <summary><c>jsonb</c> holding plain JSON, from an M whose values plain JSON can represent.</summary>
    Json,
}

/// <summary>One attribute stored in a typed column.</summary>
/// <param name="Attribute">The DynamoDB attribute name.</param>
/// <param name="Column">The PostgreSQL column name.</param>
/// <param name="Type">The column type, which decides which attribute values fit.</param>
public sealed record ColumnMapping(string Attribute, string Column, ColumnType Type);

/// <summary>
/// A list attribute whose elements (maps) become rows of a child table, keyed by the parent key
/// and the 1-based position in the list.
/// </summary>
/// <param name="Attribute">The list attribute, e.g. <c>items</c>.</param>
/// <param name="Table">The child table, e.g. <c>order_items</c>.</param>
/// <param name="ParentKeyColumn">The child column holding the parent's key.</param>
/// <param name="PositionColumn">The child column holding the 1-based position.</param>
/// <param name="Columns">The element attributes stored in typed columns.</param>
public sealed record ChildListMapping(
    string Attribute,
    string Table,
    string ParentKeyColumn,
    string PositionColumn,
    IReadOnlyList<ColumnMapping> Columns);

/// <summary>How one DynamoDB table becomes rows in PostgreSQL.</summary>
/// <param name="SourceTable">The DynamoDB table name (stage specific).</param>
/// <param name="Table">The PostgreSQL table in <see cref="Schema"/>.</param>
/// <param name="KeyAttribute">The partition key attribute (type S).</param>
/// <param name="KeyColumn">The primary key column.</param>
/// <param name="Columns">Attributes with typed columns of their own.</param>
/// <param name="Children">List attributes spread into child tables.</param>
public sealed record TableMapping(
    string SourceTable,
    string Table,
    string KeyAttribute,
    string KeyColumn,
    IReadOnlyList<ColumnMapping> Columns,
    IReadOnlyList<ChildListMapping> Children)
{
    /// <summary>The schema of the target tables.</summary>
    public string Schema { get; init; } = "cloudshelf";

    /// <summary>The jsonb column that keeps every attribute without a column of its own, with its DynamoDB type.</summary>
    public string AttributesColumn { get; init; } = "attributes";
}

/// <summary>The set of mapped tables, looked up by DynamoDB table name.</summary>
public sealed partial class SyncMapping
{
    private readonly Dictionary<string, TableMapping> _bySource;

    /// <summary>Validates and indexes the table mappings.</summary>
    /// <exception cref="ArgumentException">A mapping is inconsistent; the message names it.</exception>
    public SyncMapping(IEnumerable<TableMapping> tables)
    {
        ArgumentNullException.ThrowIfNull(tables);
        // Sorted by target table so that every transaction touches tables in the same order.
        Tables = tables.OrderBy(t => t.Table, StringComparer.Ordinal).ToList();
        _bySource = new Dictionary<string, TableMapping>(StringComparer.Ordinal);
        var targets = new HashSet<string>(StringComparer.Ordinal);
        foreach (var table in Tables)
        {
            Validate(table);
            if (!_bySource.TryAdd(table.SourceTable, table))
                throw new ArgumentException($"DynamoDB table '{table.SourceTable}' is mapped twice.", nameof(tables));
            if (!targets.Add(table.Table))
                throw new ArgumentException($"PostgreSQL table '{table.Table}' is the target of two mappings.", nameof(tables));
            foreach (var child in table.Children)
            {
                if (!targets.Add(child.Table))
                    throw new ArgumentException($"PostgreSQL table '{child.Table}' is the target of two mappings.", nameof(tables));
            }
        }
    }

    /// <summary>Every mapped table, ordered by target table name.</summary>
    public IReadOnlyList<TableMapping> Tables { get; }

    /// <summary>The mapping of a DynamoDB table, or null when that table is not synced.</summary>
    public TableMapping? ForSourceTable(string sourceTable) => _bySource.GetValueOrDefault(sourceTable);

    /// <summary>The mapping of a PostgreSQL table, or null.</summary>
    public TableMapping? ForTable(string table) => Tables.FirstOrDefault(t => string.Equals(t.Table, table, StringComparison.Ordinal));

    private static void Validate(TableMapping table)
    {
        // Names are spliced into SQL; allow only plain lower-case identifiers.
        RequireIdentifier(table.Schema, table);
        RequireIdentifier(table.Table, table);
        RequireIdentifier(table.KeyColumn, table);
        RequireIdentifier(table.AttributesColumn, table);
        if (string.IsNullOrWhiteSpace(table.SourceTable) || string.IsNullOrWhiteSpace(table.KeyAttribute))
            throw new ArgumentException($"Mapping of '{table.Table}' needs a source table and a key attribute.");

        var columns = new HashSet<string>(StringComparer.Ordinal) { table.KeyColumn, table.AttributesColumn };
        var attributes = new HashSet<string>(StringComparer.Ordinal) { table.KeyAttribute };
        foreach (var column in table.Columns)
        {
            RequireIdentifier(column.Column, table);
            if (!columns.Add(column.Column))
                throw new ArgumentException($"Mapping of '{table.Table}' uses column '{column.Column}' twice.");
            if (!attributes.Add(column.Attribute))
                throw new ArgumentException($"Mapping of '{table.Table}' maps attribute '{column.Attribute}' twice.");
        }
        foreach (var child in table.Children)
        {
            if (!attributes.Add(child.Attribute))
                throw new ArgumentException($"Mapping of '{table.Table}' maps attribute '{child.Attribute}' twice.");
            RequireIdentifier(child.Table, table);
            RequireIdentifier(child.ParentKeyColumn, table);
            RequireIdentifier(child.PositionColumn, table);
            if (child.ParentKeyColumn == child.PositionColumn)
                throw new ArgumentException($"Mapping of '{child.Table}' uses column '{child.PositionColumn}' for both the parent key and the position.");
            var childColumns = new HashSet<string>(StringComparer.Ordinal) { child.ParentKeyColumn, child.PositionColumn };
            var childAttributes = new HashSet<string>(StringComparer.Ordinal);
            foreach (var column in child.Columns)
            {
                RequireIdentifier(column.Column, table);
                if (!childColumns.Add(column.Column))
                    throw new ArgumentException($"Mapping of '{child.Table}' uses column '{column.Column}' twice.");
                if (!childAttributes.Add(column.Attribute))
                    throw new ArgumentException($"Mapping of '{child.Table}' maps element attribute '{column.Attribute}' twice.");
            }
        }
    }

    private static void RequireIdentifier(string name, TableMapping table)
    {
        if (name is null || !Identifier().IsMatch(name))
            throw new ArgumentException($"Mapping of '{table.Table}': '{name}' is not a plain SQL identifier (lower-case letters, digits, underscores).");
    }

    [GeneratedRegex("^[a-z_][a-z0-9_]{0,62}$")]
    private static partial Regex Identifier();
}
