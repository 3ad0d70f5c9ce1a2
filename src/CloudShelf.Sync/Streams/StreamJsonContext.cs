using System.Text.Json;
using System.Text.Json.Serialization;

namespace CloudShelf.Sync.Streams;

/// <summary>Source-generated JSON metadata for the stream event model: no reflection, AOT safe.</summary>
[JsonSourceGenerationOptions(
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    GenerationMode = JsonSourceGenerationMode.Metadata)]
[JsonSerializable(typeof(DynamoDBEvent))]
[JsonSerializable(typeof(DynamoDBStreamRecord))]
[JsonSerializable(typeof(StreamsEventResponse))]
[JsonSerializable(typeof(Dictionary<string, AttributeValue>))]
public sealed partial class StreamJsonContext : JsonSerializerContext;

/// <summary>Reads and writes stream events and responses.</summary>
public static class StreamEventSerializer
{
    /// <summary>Reads a Lambda DynamoDB event. Records that cannot be read come back with <see cref="DynamoDBStreamRecord.ReadError"/> set.</summary>
    public static DynamoDBEvent ReadEvent(ReadOnlySpan<byte> utf8Json) =>
        JsonSerializer.Deserialize(utf8Json, StreamJsonContext.Default.DynamoDBEvent)
        ?? throw new JsonException("The event is JSON null; expected an object with a Records array.");

    /// <summary>Reads a Lambda DynamoDB event from a stream.</summary>
    public static async Task<DynamoDBEvent> ReadEventAsync(Stream utf8Json, CancellationToken cancellationToken = default) =>
        await JsonSerializer.DeserializeAsync(utf8Json, StreamJsonContext.Default.DynamoDBEvent, cancellationToken)
        ?? throw new JsonException("The event is JSON null; expected an object with a Records array.");

    /// <summary>Writes a batch response.</summary>
    public static byte[] WriteResponse(StreamsEventResponse response) =>
        JsonSerializer.SerializeToUtf8Bytes(response, StreamJsonContext.Default.StreamsEventResponse);

    /// <summary>Reads a batch response.</summary>
    public static StreamsEventResponse ReadResponse(ReadOnlySpan<byte> utf8Json) =>
        JsonSerializer.Deserialize(utf8Json, StreamJsonContext.Default.StreamsEventResponse)
        ?? throw new JsonException("The response is JSON null.");

    /// <summary>The JSON of one record as delivered, or as read when it was readable.</summary>
    public static string RecordJson(DynamoDBStreamRecord record)
    {
        ArgumentNullException.ThrowIfNull(record);
        return record.RawJson ?? JsonSerializer.Serialize(record, StreamJsonContext.Default.DynamoDBStreamRecord);
    }

    /// <summary>
    /// Reads one record from its JSON (as kept in quarantine). A record that still cannot be read
    /// comes back with <see cref="DynamoDBStreamRecord.ReadError"/> set, as in an event.
    /// </summary>
    public static DynamoDBStreamRecord ReadRecordTolerant(string json)
    {
        ArgumentNullException.ThrowIfNull(json);
        var records = ReadEvent(System.Text.Encoding.UTF8.GetBytes($"{{\"Records\":[{json}]}}")).Records;
        return records.Count == 1 ? records[0] : throw new JsonException("Expected exactly one record.");
    }
}
