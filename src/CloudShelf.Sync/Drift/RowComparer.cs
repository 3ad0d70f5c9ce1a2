using CloudShelf.Sync.Mapping;
using CloudShelf.Sync.Streams;

namespace CloudShelf.Sync.Drift;

/// <summary>
/// Compares the row an item maps to (<see cref="ItemMapper.Map"/>, the canonical form) with the row
/// as stored, column by column, line by line and attribute by attribute in <c>attributes</c>.
/// Comparing canonical forms is exact where rebuilding the item is not: a value that does not fit
/// its column must be NULL there and kept in <c>attributes</c>, and a rebuilt item would not notice
/// a column that holds something anyway.
/// </summary>
internal static class RowComparer
{
    /// <summary>The names of the attributes that differ, sorted; empty when the row holds the item.</summary>
    public static List<string> Differences(TableMapping table, MappedRow expected, StoredRow actual)
    {
        var differences = new List<string>();
        for (var i = 0; i < table.Columns.Count; i++)
        {
            if (!ColumnEqual(table.Columns[i].Type, expected.Values[i], actual.Values[i]))
                differences.Add(table.Columns[i].Attribute);
        }
        for (var c = 0; c < table.Children.Count; c++)
            ChildDifferences(table.Children[c], expected.Children[c], actual.Children[c], differences);
        AttributeDifferences(expected.AttributesJson, actual.AttributesJson, differences);
        if (differences.Count > 1)
        {
            differences.Sort(StringComparer.Ordinal);
            for (var i = differences.Count - 1; i > 0; i--)
            {
                if (differences[i] == differences[i - 1]) differences.RemoveAt(i);
            }
        }
        return differences;
    }

    private static void ChildDifferences(ChildListMapping child, IReadOnlyList<ChildRow> expected, IReadOnlyList<ChildRow> actual, List<string> differences)
    {
        // Both are ordered by position; walk them together.
        int i = 0, j = 0;
        while (i < expected.Count || j < actual.Count)
        {
            var e = i < expected.Count ? expected[i] : null;
            var a = j < actual.Count ? actual[j] : null;
            if (e is not null && a is not null && e.Position == a.Position)
            {
                for (var k = 0; k < child.Columns.Count; k++)
                {
                    if (!ColumnEqual(child.Columns[k].Type, e.Values[k], a.Values[k]))
                    {
                        differences.Add($"{child.Attribute}[{e.Position}]");
                        break;
                    }
                }
                i++;
                j++;
            }
            else if (a is null || (e is not null && e.Position < a.Position))
            {
                differences.Add($"{child.Attribute}[{e!.Position}]");
                i++;
            }
            else
            {
                differences.Add($"{child.Attribute}[{a.Position}]");
                j++;
            }
        }
    }

    private static void AttributeDifferences(string expected, string actual, List<string> differences)
    {
        if (expected == "{}" && actual == "{}") return;
        var e = DynamoJson.ParseItem(expected);
        var a = DynamoJson.ParseItem(actual);
        foreach (var (name, value) in e)
        {
            if (!a.TryGetValue(name, out var other) || !DriftEquality.Equal(value, other)) differences.Add(name);
        }
        foreach (var name in a.Keys)
        {
            if (!e.ContainsKey(name)) differences.Add(name);
        }
    }

    internal static bool ColumnEqual(ColumnType type, object? expected, object? actual)
    {
        if (expected is null || actual is null) return expected is null && actual is null;
        return type switch
        {
            ColumnType.Numeric => NumberText.Equal((string)expected, (string)actual),
            ColumnType.Json => DriftEquality.PlainJsonEqual((string)expected, (string)actual),
            ColumnType.TextArray => SetEqual((string[])expected, (string[])actual),
            ColumnType.Timestamp => ((DateTime)expected).Ticks == ((DateTime)actual).Ticks,
            _ => expected.Equals(actual),
        };
    }

    private static bool SetEqual(string[] a, string[] b) =>
        a.Length == b.Length && (a.AsSpan().SequenceEqual(b) || new HashSet<string>(a, StringComparer.Ordinal).SetEquals(b));
}
