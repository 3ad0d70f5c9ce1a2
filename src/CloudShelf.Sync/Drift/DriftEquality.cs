using System.Text.Json;
using CloudShelf.Sync.Streams;

namespace CloudShelf.Sync.Drift;

/// <summary>
/// Equality as the data model defines it: numbers as numbers (12.5 equals 12.50), sets as sets
/// (their order means nothing in DynamoDB), maps by name, lists in order, types kept apart (an N is
/// not an S, an SS is not an L).
/// </summary>
internal static class DriftEquality
{
    public static bool Equal(AttributeValue a, AttributeValue b)
    {
        if (ReferenceEquals(a, b)) return true;
        if (a.Type != b.Type) return false;
        switch (a.Type)
        {
            case AttributeType.N:
                return NumberText.Equal(a.N!, b.N!);
            case AttributeType.NS:
                return NumberSetEqual(a.NS!, b.NS!);
            case AttributeType.M:
                return ItemsEqual(a.M!, b.M!);
            case AttributeType.L:
                if (a.L!.Count != b.L!.Count) return false;
                for (var i = 0; i < a.L.Count; i++)
                {
                    if (!Equal(a.L[i], b.L[i])) return false;
                }
                return true;
            default:
                // S, B, SS, BS, NULL, BOOL: AttributeValue's own equality (sets as sets, bytes by value).
                return a.Equals(b);
        }
    }

    public static bool ItemsEqual(IReadOnlyDictionary<string, AttributeValue> a, IReadOnlyDictionary<string, AttributeValue> b)
    {
        if (a.Count != b.Count) return false;
        foreach (var (name, value) in a)
        {
            if (!b.TryGetValue(name, out var other) || !Equal(value, other)) return false;
        }
        return true;
    }

    private static bool NumberSetEqual(IReadOnlyList<string> a, IReadOnlyList<string> b)
    {
        if (a.Count != b.Count) return false;
        // Sets are small; a quadratic match keeps numeric equality without a canonical form.
        var used = new bool[b.Count];
        foreach (var x in a)
        {
            var found = false;
            for (var j = 0; j < b.Count; j++)
            {
                if (used[j] || !NumberText.Equal(x, b[j])) continue;
                used[j] = found = true;
                break;
            }
            if (!found) return false;
        }
        return true;
    }

    /// <summary>Plain JSON (a jsonb column) compared structurally: object members by name, numbers as numbers.</summary>
    public static bool PlainJsonEqual(string a, string b)
    {
        if (string.Equals(a, b, StringComparison.Ordinal)) return true;
        using var x = JsonDocument.Parse(a);
        using var y = JsonDocument.Parse(b);
        return JsonEqual(x.RootElement, y.RootElement);
    }

    private static bool JsonEqual(JsonElement a, JsonElement b)
    {
        if (a.ValueKind != b.ValueKind) return false;
        switch (a.ValueKind)
        {
            case JsonValueKind.Object:
            {
                var count = 0;
                foreach (var property in a.EnumerateObject())
                {
                    count++;
                    if (!b.TryGetProperty(property.Name, out var other) || !JsonEqual(property.Value, other)) return false;
                }
                foreach (var _ in b.EnumerateObject()) count--;
                return count == 0;
            }
            case JsonValueKind.Array:
            {
                if (a.GetArrayLength() != b.GetArrayLength()) return false;
                using var ea = a.EnumerateArray();
                using var eb = b.EnumerateArray();
                while (ea.MoveNext() && eb.MoveNext())
                {
                    if (!JsonEqual(ea.Current, eb.Current)) return false;
                }
                return true;
            }
            case JsonValueKind.Number:
                return NumberText.Equal(a.GetRawText(), b.GetRawText());
            case JsonValueKind.String:
                return a.ValueEquals(b.GetString());
            default:
                return true;
        }
    }
}
