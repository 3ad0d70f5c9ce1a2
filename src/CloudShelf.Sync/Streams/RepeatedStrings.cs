using System.Collections.Concurrent;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace CloudShelf.Sync.Streams;

/// <summary>
/// Reuses the strings that every record of a batch repeats: attribute names, the stream ARN, the
/// event name, the region. A 1,000-record batch would otherwise allocate each of them a thousand
/// times. Bounded, so that odd input cannot grow it without limit.
/// </summary>
internal static class RepeatedStrings
{
    private const int Capacity = 4096;
    private const int MaxLength = 128;
    private static readonly ConcurrentDictionary<string, string> Cache = new(StringComparer.Ordinal);
    private static readonly ConcurrentDictionary<string, string>.AlternateLookup<ReadOnlySpan<char>> Lookup =
        Cache.GetAlternateLookup<ReadOnlySpan<char>>();

    /// <summary>The current string token or property name.</summary>
    public static string Read(ref Utf8JsonReader reader)
    {
        if (reader.HasValueSequence || reader.ValueIsEscaped || reader.ValueSpan.Length > MaxLength)
            return reader.GetString()!;
        Span<char> chars = stackalloc char[MaxLength];
        var span = chars[..Encoding.UTF8.GetChars(reader.ValueSpan, chars)];
        if (Lookup.TryGetValue(span, out var value)) return value;
        value = span.ToString();
        if (Cache.Count < Capacity) Cache.TryAdd(value, value);
        return value;
    }
}

/// <summary>A string property whose few values repeat in every record.</summary>
internal sealed class RepeatedStringJsonConverter : JsonConverter<string>
{
    public override string? Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        reader.TokenType == JsonTokenType.String
            ? RepeatedStrings.Read(ref reader)
            : throw new JsonException($"Expected a JSON string, found {reader.TokenType}.");

    public override void Write(Utf8JsonWriter writer, string value, JsonSerializerOptions options) =>
        writer.WriteStringValue(value);
}
