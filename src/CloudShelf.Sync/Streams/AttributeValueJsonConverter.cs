using System.Text.Json;
using System.Text.Json.Serialization;

namespace CloudShelf.Sync.Streams;

/// <summary>
/// Reads and writes DynamoDB JSON (<c>{"S":"x"}</c>, <c>{"N":"1.5"}</c>, ...) by hand, so that it
/// needs no reflection under Native AOT and never routes a number through a binary type.
/// </summary>
public sealed class AttributeValueJsonConverter : JsonConverter<AttributeValue>
{
    /// <inheritdoc />
    public override AttributeValue Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        ReadValue(ref reader);

    /// <inheritdoc />
    public override void Write(Utf8JsonWriter writer, AttributeValue value, JsonSerializerOptions options) =>
        WriteValue(writer, value);

    internal static AttributeValue ReadValue(ref Utf8JsonReader reader)
    {
        if (reader.TokenType != JsonTokenType.StartObject)
            throw new JsonException($"An attribute value must be a JSON object such as {{\"S\":\"text\"}}, found {reader.TokenType}.");
        if (!reader.Read() || reader.TokenType != JsonTokenType.PropertyName)
            throw new JsonException("An attribute value must name exactly one type (S, N, B, SS, NS, BS, M, L, NULL, BOOL); found none.");

        var type = ReadTypeName(ref reader);
        reader.Read();
        var value = type switch
        {
            AttributeType.S => AttributeValue.FromS(ReadString(ref reader, "S")),
            AttributeType.N => AttributeValue.FromN(ReadString(ref reader, "N")),
            AttributeType.B => AttributeValue.FromB(ReadBase64(ref reader, "B")),
            AttributeType.SS => AttributeValue.FromSS(ReadStrings(ref reader, "SS")),
            AttributeType.NS => AttributeValue.FromNS(ReadStrings(ref reader, "NS")),
            AttributeType.BS => AttributeValue.FromBS(ReadBinaries(ref reader)),
            AttributeType.M => AttributeValue.FromM(ReadMap(ref reader)),
            AttributeType.L => AttributeValue.FromL(ReadList(ref reader)),
            AttributeType.NULL => ReadNull(ref reader),
            AttributeType.BOOL => AttributeValue.FromBool(ReadBool(ref reader)),
            _ => throw new JsonException($"Unknown attribute type {type}."),
        };

        if (!reader.Read() || reader.TokenType != JsonTokenType.EndObject)
            throw new JsonException("An attribute value must name exactly one type; found a second property.");
        return value;
    }

    /// <summary>Reads an item: a JSON object of attribute names to attribute values.</summary>
    internal static Dictionary<string, AttributeValue> ReadMap(ref Utf8JsonReader reader)
    {
        if (reader.TokenType != JsonTokenType.StartObject)
            throw new JsonException($"A map must be a JSON object, found {reader.TokenType}.");
        var map = new Dictionary<string, AttributeValue>(16, StringComparer.Ordinal);
        while (reader.Read() && reader.TokenType != JsonTokenType.EndObject)
        {
            var name = RepeatedStrings.Read(ref reader);
            reader.Read();
            if (!map.TryAdd(name, ReadValue(ref reader)))
                throw new JsonException($"Attribute '{name}' appears twice in one map.");
        }
        return map;
    }

    private static AttributeType ReadTypeName(ref Utf8JsonReader reader)
    {
        // ValueTextEquals compares the raw UTF-8 without allocating the property name.
        if (reader.ValueTextEquals("S"u8)) return AttributeType.S;
        if (reader.ValueTextEquals("N"u8)) return AttributeType.N;
        if (reader.ValueTextEquals("M"u8)) return AttributeType.M;
        if (reader.ValueTextEquals("L"u8)) return AttributeType.L;
        if (reader.ValueTextEquals("SS"u8)) return AttributeType.SS;
        if (reader.ValueTextEquals("NS"u8)) return AttributeType.NS;
        if (reader.ValueTextEquals("BOOL"u8)) return AttributeType.BOOL;
        if (reader.ValueTextEquals("NULL"u8)) return AttributeType.NULL;
        if (reader.ValueTextEquals("B"u8)) return AttributeType.B;
        if (reader.ValueTextEquals("BS"u8)) return AttributeType.BS;
        throw new JsonException($"Unknown attribute type '{reader.GetString()}'; expected one of S, N, B, SS, NS, BS, M, L, NULL, BOOL.");
    }

    private static string ReadString(ref Utf8JsonReader reader, string type) =>
        reader.TokenType == JsonTokenType.String
            ? reader.GetString()!
            : throw new JsonException($"A {type} value must be a JSON string, found {reader.TokenType}.");

    private static byte[] ReadBase64(ref Utf8JsonReader reader, string type)
    {
        if (reader.TokenType != JsonTokenType.String)
            throw new JsonException($"A {type} value must be a base64 JSON string, found {reader.TokenType}.");
        return reader.TryGetBytesFromBase64(out var bytes)
            ? bytes
            : throw new JsonException($"A {type} value is not valid base64.");
    }

    private static List<string> ReadStrings(ref Utf8JsonReader reader, string type)
    {
        ExpectArray(ref reader, type);
        var values = new List<string>();
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
            values.Add(ReadString(ref reader, type + " member"));
        return values;
    }

    private static List<byte[]> ReadBinaries(ref Utf8JsonReader reader)
    {
        ExpectArray(ref reader, "BS");
        var values = new List<byte[]>();
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
            values.Add(ReadBase64(ref reader, "BS member"));
        return values;
    }

    private static List<AttributeValue> ReadList(ref Utf8JsonReader reader)
    {
        ExpectArray(ref reader, "L");
        var values = new List<AttributeValue>();
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
            values.Add(ReadValue(ref reader));
        return values;
    }

    private static AttributeValue ReadNull(ref Utf8JsonReader reader) =>
        reader.TokenType == JsonTokenType.True
            ? AttributeValue.Null
            : throw new JsonException($"A NULL value must be true, found {reader.TokenType}.");

    private static bool ReadBool(ref Utf8JsonReader reader) => reader.TokenType switch
    {
        JsonTokenType.True => true,
        JsonTokenType.False => false,
        // Some writers emit the boolean as a string; accept the two unambiguous spellings.
        JsonTokenType.String when reader.ValueTextEquals("true"u8) => true,
        JsonTokenType.String when reader.ValueTextEquals("false"u8) => false,
        _ => throw new JsonException($"A BOOL value must be true or false, found {reader.TokenType}."),
    };

    private static void ExpectArray(ref Utf8JsonReader reader, string type)
    {
        if (reader.TokenType != JsonTokenType.StartArray)
            throw new JsonException($"A {type} value must be a JSON array, found {reader.TokenType}.");
    }

    internal static void WriteValue(Utf8JsonWriter writer, AttributeValue value)
    {
        writer.WriteStartObject();
        switch (value.Type)
        {
            case AttributeType.S:
                writer.WriteString("S"u8, value.Text);
                break;
            case AttributeType.N:
                writer.WriteString("N"u8, value.Text);
                break;
            case AttributeType.B:
                writer.WriteBase64String("B"u8, value.B);
                break;
            case AttributeType.SS:
                WriteStrings(writer, "SS"u8, value.SS!);
                break;
            case AttributeType.NS:
                WriteStrings(writer, "NS"u8, value.NS!);
                break;
            case AttributeType.BS:
                writer.WriteStartArray("BS"u8);
                foreach (var b in value.BS!) writer.WriteBase64StringValue(b);
                writer.WriteEndArray();
                break;
            case AttributeType.M:
                writer.WritePropertyName("M"u8);
                WriteMap(writer, value.M!);
                break;
            case AttributeType.L:
                writer.WriteStartArray("L"u8);
                foreach (var element in value.L!) WriteValue(writer, element);
                writer.WriteEndArray();
                break;
            case AttributeType.NULL:
                writer.WriteBoolean("NULL"u8, true);
                break;
            case AttributeType.BOOL:
                writer.WriteBoolean("BOOL"u8, value.BOOL!.Value);
                break;
        }
        writer.WriteEndObject();
    }

    internal static void WriteMap(Utf8JsonWriter writer, IEnumerable<KeyValuePair<string, AttributeValue>> map)
    {
        writer.WriteStartObject();
        foreach (var (name, value) in map)
        {
            writer.WritePropertyName(name);
            WriteValue(writer, value);
        }
        writer.WriteEndObject();
    }

    private static void WriteStrings(Utf8JsonWriter writer, ReadOnlySpan<byte> name, IReadOnlyList<string> values)
    {
        writer.WriteStartArray(name);
        foreach (var v in values) writer.WriteStringValue(v);
        writer.WriteEndArray();
    }
}

/// <summary>
/// Reads and writes an item (Keys, NewImage, OldImage) in one pass, without the serializer's
/// per-value dispatch: images are most of a stream event.
/// </summary>
public sealed class ItemJsonConverter : JsonConverter<Dictionary<string, AttributeValue>>
{
    /// <inheritdoc />
    public override Dictionary<string, AttributeValue> Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        AttributeValueJsonConverter.ReadMap(ref reader);

    /// <inheritdoc />
    public override void Write(Utf8JsonWriter writer, Dictionary<string, AttributeValue> value, JsonSerializerOptions options) =>
        AttributeValueJsonConverter.WriteMap(writer, value);
}
