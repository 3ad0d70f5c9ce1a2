using System.Buffers;
using System.Text.Json;

namespace CloudShelf.Sync.Streams;

/// <summary>DynamoDB JSON text of items and values, as kept in the <c>attributes</c> column.</summary>
public static class DynamoJson
{
    /// <summary>DynamoDB JSON of one value.</summary>
    public static string Serialize(AttributeValue value)
    {
        ArgumentNullException.ThrowIfNull(value);
        var buffer = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer))
            AttributeValueJsonConverter.WriteValue(writer, value);
        return System.Text.Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    /// <summary>DynamoDB JSON of an item (a map of attribute names to values).</summary>
    public static string SerializeItem(IEnumerable<KeyValuePair<string, AttributeValue>> item)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer))
            AttributeValueJsonConverter.WriteMap(writer, item);
        return System.Text.Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    /// <summary>Reads an item from DynamoDB JSON.</summary>
    public static Dictionary<string, AttributeValue> ParseItem(string json)
    {
        ArgumentNullException.ThrowIfNull(json);
        var reader = new Utf8JsonReader(System.Text.Encoding.UTF8.GetBytes(json), StreamEventSerializer.ReaderOptions);
        reader.Read();
        return AttributeValueJsonConverter.ReadMap(ref reader);
    }
}

/// <summary>
/// Stream sequence numbers are decimal strings of up to 40 digits. They are ordered as numbers:
/// never as text ("9" &lt; "10") and never as double (which keeps only 15-17 digits).
/// </summary>
public static class SequenceNumbers
{
    /// <summary>The most digits a sequence number may have.</summary>
    public const int MaxDigits = 40;

    /// <summary>True for a string of 1 to 40 decimal digits.</summary>
    public static bool IsValid(string? value)
    {
        if (string.IsNullOrEmpty(value) || value.Length > MaxDigits) return false;
        foreach (var c in value)
        {
            if (c is < '0' or > '9') return false;
        }
        return true;
    }

    /// <summary>Compares two valid sequence numbers numerically.</summary>
    public static int Compare(string a, string b)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        var x = a.AsSpan().TrimStart('0');
        var y = b.AsSpan().TrimStart('0');
        return x.Length != y.Length ? x.Length.CompareTo(y.Length) : x.SequenceCompareTo(y);
    }

    /// <summary>Orders sequence numbers numerically.</summary>
    public static IComparer<string> Comparer { get; } = Comparer<string>.Create(Compare);
}
