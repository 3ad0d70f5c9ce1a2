using System.Text.Json;
using System.Text.Json.Serialization;

namespace CloudShelf.Sync.Streams;

/// <summary>
/// Reads the Records array one record at a time, so that one malformed record (an attribute of an
/// unknown type, a number written as a JSON number) is kept with its raw JSON for quarantine
/// instead of failing the whole batch and blocking the shard.
/// </summary>
internal sealed class StreamRecordListConverter : JsonConverter<List<DynamoDBStreamRecord>>
{
    public override List<DynamoDBStreamRecord> Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (reader.TokenType != JsonTokenType.StartArray)
            throw new JsonException($"Records must be a JSON array, found {reader.TokenType}.");

        var records = new List<DynamoDBStreamRecord>();
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            // Converters receive the whole value buffered, so a copy of the reader can rewind to it.
            var start = reader;
            try
            {
                records.Add(JsonSerializer.Deserialize(ref reader, StreamJsonContext.Default.DynamoDBStreamRecord)
                            ?? throw new JsonException("A record is JSON null."));
            }
            catch (Exception e) when (e is JsonException or InvalidOperationException or FormatException)
            {
                reader = start;
                records.Add(Unreadable(ref reader, e.Message));
            }
        }
        return records;
    }

    private static DynamoDBStreamRecord Unreadable(ref Utf8JsonReader reader, string error)
    {
        using var document = JsonDocument.ParseValue(ref reader);
        var root = document.RootElement;
        var record = new DynamoDBStreamRecord { ReadError = error, RawJson = root.GetRawText() };
        if (root.ValueKind != JsonValueKind.Object) return record;

        // Salvage what identifies the record, so the quarantine row and the logs can name it.
        record.EventId = StringProperty(root, "eventID");
        record.EventName = StringProperty(root, "eventName");
        record.EventSourceArn = StringProperty(root, "eventSourceARN");
        if (root.TryGetProperty("dynamodb", out var change) && change.ValueKind == JsonValueKind.Object)
            record.Dynamodb = new StreamRecord { SequenceNumber = StringProperty(change, "SequenceNumber") };
        return record;
    }

    private static string? StringProperty(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    public override void Write(Utf8JsonWriter writer, List<DynamoDBStreamRecord> value, JsonSerializerOptions options)
    {
        writer.WriteStartArray();
        foreach (var record in value)
        {
            if (record.RawJson is not null) writer.WriteRawValue(record.RawJson, skipInputValidation: true);
            else JsonSerializer.Serialize(writer, record, StreamJsonContext.Default.DynamoDBStreamRecord);
        }
        writer.WriteEndArray();
    }
}

/// <summary>
/// ApproximateCreationDateTime is documented as epoch seconds; AWS's own deserializer also accepts
/// milliseconds, recognised by a value beyond the year 5000 when read as seconds.
/// </summary>
internal sealed class EpochTimeJsonConverter : JsonConverter<DateTimeOffset?>
{
    // 5000-01-01T00:00:00Z in epoch seconds.
    private const double MillisecondsThreshold = 95_617_584_000d;

    public override DateTimeOffset? Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        double value;
        switch (reader.TokenType)
        {
            case JsonTokenType.Null:
                return null;
            case JsonTokenType.Number:
                value = reader.GetDouble();
                break;
            case JsonTokenType.String when double.TryParse(reader.GetString(), System.Globalization.NumberStyles.Float,
                                               System.Globalization.CultureInfo.InvariantCulture, out value):
                break;
            default:
                throw new JsonException("ApproximateCreationDateTime must be a number of epoch seconds.");
        }

        var milliseconds = value > MillisecondsThreshold ? value : value * 1000d;
        if (double.IsNaN(milliseconds) || milliseconds < -62_135_596_800_000d || milliseconds > 253_402_300_799_000d)
            throw new JsonException($"ApproximateCreationDateTime {value} is out of range.");
        return DateTimeOffset.FromUnixTimeMilliseconds((long)Math.Round(milliseconds));
    }

    public override void Write(Utf8JsonWriter writer, DateTimeOffset? value, JsonSerializerOptions options)
    {
        if (value is null)
        {
            writer.WriteNullValue();
            return;
        }
        var milliseconds = value.Value.ToUnixTimeMilliseconds();
        if (milliseconds % 1000 == 0) writer.WriteNumberValue(milliseconds / 1000);
        else writer.WriteNumberValue(milliseconds / 1000m);
    }
}
