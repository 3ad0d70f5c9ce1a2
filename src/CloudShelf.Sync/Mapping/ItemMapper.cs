using System.Buffers;
using System.Text;
using System.Text.Json;
using CloudShelf.Sync.Streams;

namespace CloudShelf.Sync.Mapping;

/// <summary>A record that cannot become a row at all (no usable key): it goes to quarantine.</summary>
public sealed class UnmappableRecordException(string message) : Exception(message);

/// <summary>One line of a child table, at its 1-based position in the parent's list.</summary>
/// <param name="Position">The 1-based position in the list attribute.</param>
/// <param name="Values">Column values in the order of <see cref="ChildListMapping.Columns"/>.</param>
public sealed record ChildRow(int Position, object?[] Values);

/// <summary>An item turned into a row (and its child rows).</summary>
public sealed class MappedRow
{
    /// <summary>The primary key value.</summary>
    public required string Key { get; init; }

    /// <summary>Column values in the order of <see cref="TableMapping.Columns"/>; null for absent or ill-fitting.</summary>
    public required object?[] Values { get; init; }

    /// <summary>DynamoDB JSON of every attribute without a column of its own, or whose value did not fit exactly.</summary>
    public required string AttributesJson { get; init; }

    /// <summary>Per child mapping (same order as <see cref="TableMapping.Children"/>), its lines.</summary>
    public required IReadOnlyList<IReadOnlyList<ChildRow>> Children { get; init; }

    /// <summary>Attributes whose value did not fit their column (column NULL, original in attributes).</summary>
    public required IReadOnlyList<string> IllFitting { get; init; }
}

/// <summary>
/// Turns DynamoDB items into rows by a <see cref="TableMapping"/>, and rows back into items. The
/// round trip is lossless: whatever a column cannot reproduce exactly is kept, with its DynamoDB
/// type, in the <c>attributes</c> column.
/// </summary>
public static class ItemMapper
{
    /// <summary>Reads the key from a record's Keys (or an image).</summary>
    /// <exception cref="UnmappableRecordException">The key attribute is missing or not a non-empty S.</exception>
    public static string ReadKey(TableMapping table, IReadOnlyDictionary<string, AttributeValue>? keys)
    {
        ArgumentNullException.ThrowIfNull(table);
        if (keys is null || !keys.TryGetValue(table.KeyAttribute, out var key))
            throw new UnmappableRecordException($"Key attribute '{table.KeyAttribute}' is missing.");
        if (key.Type != AttributeType.S || key.Text.Length == 0 || key.Text.Contains('\0', StringComparison.Ordinal))
            throw new UnmappableRecordException($"Key attribute '{table.KeyAttribute}' must be a non-empty S, found {key.Type}.");
        return key.Text;
    }

    /// <summary>Maps an item to a row.</summary>
    /// <exception cref="UnmappableRecordException">The item has no usable key.</exception>
    public static MappedRow Map(TableMapping table, IReadOnlyDictionary<string, AttributeValue> item)
    {
        ArgumentNullException.ThrowIfNull(table);
        ArgumentNullException.ThrowIfNull(item);
        var key = ReadKey(table, item);

        var values = new object?[table.Columns.Count];
        List<string>? illFitting = null;
        // Attributes that must stay in `attributes`, by name; everything not consumed below.
        var keep = new HashSet<string>(item.Keys, StringComparer.Ordinal);
        keep.Remove(table.KeyAttribute);

        for (var i = 0; i < table.Columns.Count; i++)
        {
            var column = table.Columns[i];
            if (!item.TryGetValue(column.Attribute, out var value)) continue;
            var fit = ColumnValues.ToColumn(column.Type, value, out values[i]);
            if (fit == Fit.Exact) keep.Remove(column.Attribute);
            else if (fit == Fit.No && !value.IsNull) (illFitting ??= []).Add(column.Attribute);
        }

        var children = new IReadOnlyList<ChildRow>[table.Children.Count];
        for (var c = 0; c < table.Children.Count; c++)
        {
            var child = table.Children[c];
            if (!item.TryGetValue(child.Attribute, out var list))
            {
                children[c] = [];
                continue;
            }
            children[c] = MapChildren(child, list, out var exact, ref illFitting);
            if (exact) keep.Remove(child.Attribute);
        }

        return new MappedRow
        {
            Key = key,
            Values = values,
            AttributesJson = WriteAttributes(item, keep),
            Children = children,
            IllFitting = (IReadOnlyList<string>?)illFitting ?? [],
        };
    }

    private static List<ChildRow> MapChildren(ChildListMapping child, AttributeValue list, out bool exact, ref List<string>? illFitting)
    {
        var rows = new List<ChildRow>();
        // An empty list has no lines to rebuild it from, so it is kept as it is.
        exact = list.Type == AttributeType.L && list.L!.Count > 0;
        if (list.Type != AttributeType.L)
        {
            (illFitting ??= []).Add(child.Attribute);
            return rows;
        }

        for (var position = 1; position <= list.L!.Count; position++)
        {
            var element = list.L[position - 1];
            if (element.Type != AttributeType.M)
            {
                // A line of NULLs holds the position, so that lines after it keep theirs.
                exact = false;
                (illFitting ??= []).Add($"{child.Attribute}[{position}]");
                rows.Add(new ChildRow(position, new object?[child.Columns.Count]));
                continue;
            }
            var map = element.M!;
            var values = new object?[child.Columns.Count];
            var consumed = 0;
            for (var i = 0; i < child.Columns.Count; i++)
            {
                var column = child.Columns[i];
                if (!map.TryGetValue(column.Attribute, out var value)) continue;
                consumed++;
                var fit = ColumnValues.ToColumn(column.Type, value, out values[i]);
                if (fit != Fit.Exact) exact = false;
                if (fit == Fit.No && !value.IsNull) (illFitting ??= []).Add($"{child.Attribute}[{position}].{column.Attribute}");
            }
            // An element attribute without a column means the lines alone cannot rebuild the list.
            if (consumed != map.Count) exact = false;
            rows.Add(new ChildRow(position, values));
        }
        return rows;
    }

    private static string WriteAttributes(IReadOnlyDictionary<string, AttributeValue> item, HashSet<string> keep)
    {
        if (keep.Count == 0) return "{}";
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            AttributeValueJsonConverter.WriteMap(writer, item.Where(a => keep.Contains(a.Key)));
        }
        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    /// <summary>Rebuilds the DynamoDB item from a row as stored.</summary>
    /// <param name="table">The mapping.</param>
    /// <param name="key">The primary key value.</param>
    /// <param name="values">Column values in mapping order, as <see cref="MappedRow.Values"/> holds them.</param>
    /// <param name="attributesJson">The <c>attributes</c> column.</param>
    /// <param name="children">Per child mapping, its lines.</param>
    public static Dictionary<string, AttributeValue> Rebuild(
        TableMapping table,
        string key,
        IReadOnlyList<object?> values,
        string attributesJson,
        IReadOnlyList<IReadOnlyList<ChildRow>> children)
    {
        ArgumentNullException.ThrowIfNull(table);
        ArgumentNullException.ThrowIfNull(values);
        ArgumentNullException.ThrowIfNull(children);
        var kept = DynamoJson.ParseItem(attributesJson);
        var item = new Dictionary<string, AttributeValue>(kept, StringComparer.Ordinal)
        {
            [table.KeyAttribute] = AttributeValue.FromS(key),
        };

        for (var i = 0; i < table.Columns.Count; i++)
        {
            var column = table.Columns[i];
            if (values[i] is { } value && !kept.ContainsKey(column.Attribute))
                item[column.Attribute] = ColumnValues.FromColumn(column.Type, value);
        }

        for (var c = 0; c < table.Children.Count; c++)
        {
            var child = table.Children[c];
            if (kept.ContainsKey(child.Attribute) || children[c].Count == 0) continue;
            var elements = new List<AttributeValue>(children[c].Count);
            foreach (var row in children[c].OrderBy(r => r.Position))
            {
                var element = new Dictionary<string, AttributeValue>(StringComparer.Ordinal);
                for (var i = 0; i < child.Columns.Count; i++)
                {
                    if (row.Values[i] is { } value)
                        element[child.Columns[i].Attribute] = ColumnValues.FromColumn(child.Columns[i].Type, value);
                }
                elements.Add(AttributeValue.FromM(element));
            }
            item[child.Attribute] = AttributeValue.FromL(elements);
        }
        return item;
    }
}
