using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;

namespace CloudShelf.Sync.Streams;

/// <summary>Source-generated JSON metadata for the stream event model: no reflection, AOT safe.</summary>
[JsonSourceGenerationOptions(
    MaxDepth = StreamEventSerializer.MaxDepth,
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
    /// <summary>
    /// DynamoDB nests up to 32 levels and each costs two JSON levels ({"M":{...}}), plus the event's
    /// own: the default of 64 would turn a legal item into a batch that fails forever.
    /// </summary>
    public const int MaxDepth = 256;

    internal static readonly JsonReaderOptions ReaderOptions = new() { MaxDepth = MaxDepth };

    /// <summary>
    /// Record metadata for reading events: the same as <see cref="StreamJsonContext"/>, except that
    /// OldImage is skipped (the sync never needs it to apply a change, and it is about a third of
    /// a NEW_AND_OLD_IMAGES event); it is read from the record's raw JSON when asked for.
    /// </summary>
    private static readonly JsonTypeInfo<DynamoDBStreamRecord> RecordForReading = (JsonTypeInfo<DynamoDBStreamRecord>)new JsonSerializerOptions
    {
        MaxDepth = MaxDepth,
        TypeInfoResolver = StreamJsonContext.Default.WithAddedModifier(static info =>
        {
            if (info.Type != typeof(StreamRecord)) return;
            foreach (var property in info.Properties)
            {
                if (property.Name == "OldImage") property.Set = null;
            }
        }),
    }.GetTypeInfo(typeof(DynamoDBStreamRecord));

    /// <summary>
    /// Reads a Lambda DynamoDB event one record at a time: a record that cannot be read (an
    /// attribute of an unknown type, a number written as a JSON number) comes back with
    /// <see cref="DynamoDBStreamRecord.ReadError"/> set and its JSON kept for quarantine, instead
    /// of failing the whole batch and blocking the shard.
    /// </summary>
    /// <exception cref="JsonException">The event itself is not a JSON object with a Records array.</exception>
    public static DynamoDBEvent ReadEvent(ReadOnlyMemory<byte> utf8Json)
    {
        var reader = new Utf8JsonReader(utf8Json.Span, ReaderOptions);
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            throw new JsonException("The event must be a JSON object with a Records array.");
        var dynamoEvent = new DynamoDBEvent();
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var isRecords = reader.ValueTextEquals("Records"u8);
            reader.Read();
            if (!isRecords || reader.TokenType == JsonTokenType.Null)
            {
                reader.Skip();
                continue;
            }
            if (reader.TokenType != JsonTokenType.StartArray)
                throw new JsonException($"Records must be a JSON array, found {reader.TokenType}.");
            var slices = new List<ReadOnlyMemory<byte>>();
            while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
            {
                var start = (int)reader.TokenStartIndex;
                reader.Skip();
                slices.Add(utf8Json[start..(int)reader.BytesConsumed]);
            }
            dynamoEvent.Records.AddRange(ReadRecords(slices));
        }
        return dynamoEvent;
    }

    // Below this many records a second thread costs more than it saves.
    private const int ParallelThreshold = 128;

    /// <summary>
    /// Records are independent JSON values: with more than one core (a Lambda function of 1,769 MB
    /// or more has two), both read their half of a large batch at once.
    /// </summary>
    private static DynamoDBStreamRecord[] ReadRecords(List<ReadOnlyMemory<byte>> slices)
    {
        var records = new DynamoDBStreamRecord[slices.Count];
        var workers = Math.Min(Environment.ProcessorCount, slices.Count / ParallelThreshold);
        if (workers < 2)
        {
            for (var i = 0; i < records.Length; i++) records[i] = ReadRecord(slices[i]);
            return records;
        }
        Parallel.For(0, workers, new ParallelOptions { MaxDegreeOfParallelism = workers }, worker =>
        {
            for (var i = worker * records.Length / workers; i < (worker + 1) * records.Length / workers; i++)
                records[i] = ReadRecord(slices[i]);
        });
        return records;
    }

    /// <summary>Reads a Lambda DynamoDB event from a stream.</summary>
    public static async Task<DynamoDBEvent> ReadEventAsync(Stream utf8Json, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(utf8Json);
        using var buffer = new MemoryStream();
        await utf8Json.CopyToAsync(buffer, cancellationToken);
        return ReadEvent(buffer.GetBuffer().AsMemory(0, (int)buffer.Length));
    }

    private static DynamoDBStreamRecord ReadRecord(ReadOnlyMemory<byte> raw)
    {
        try
        {
            var record = JsonSerializer.Deserialize(raw.Span, RecordForReading) ?? throw new JsonException("A record is JSON null.");
            record.Raw = raw;
            record.Dynamodb?.ReadOldImageFrom(raw);
            return record;
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or FormatException)
        {
            return Unreadable(raw, e.Message);
        }
    }

    private static DynamoDBStreamRecord Unreadable(ReadOnlyMemory<byte> raw, string error)
    {
        var record = new DynamoDBStreamRecord { ReadError = error, Raw = raw };
        using var document = JsonDocument.Parse(raw, new JsonDocumentOptions { MaxDepth = MaxDepth });
        var root = document.RootElement;
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

    /// <summary>The OldImage of a record's raw JSON.</summary>
    internal static Dictionary<string, AttributeValue>? ReadOldImage(ReadOnlyMemory<byte> raw) =>
        JsonSerializer.Deserialize(raw.Span, StreamJsonContext.Default.DynamoDBStreamRecord)?.Dynamodb?.OldImage;

    /// <summary>Writes a batch response.</summary>
    public static byte[] WriteResponse(StreamsEventResponse response) =>
        JsonSerializer.SerializeToUtf8Bytes(response, StreamJsonContext.Default.StreamsEventResponse);

    /// <summary>Reads a batch response.</summary>
    public static StreamsEventResponse ReadResponse(ReadOnlySpan<byte> utf8Json) =>
        JsonSerializer.Deserialize(utf8Json, StreamJsonContext.Default.StreamsEventResponse)
        ?? throw new JsonException("The response is JSON null.");

    /// <summary>The JSON of one record: as delivered when it was read from an event, else as built.</summary>
    public static string RecordJson(DynamoDBStreamRecord record)
    {
        ArgumentNullException.ThrowIfNull(record);
        return record.Raw is { } raw
            ? System.Text.Encoding.UTF8.GetString(raw.Span)
            : JsonSerializer.Serialize(record, StreamJsonContext.Default.DynamoDBStreamRecord);
    }

    /// <summary>
    /// Reads one record from its JSON (as kept in quarantine). A record that still cannot be read
    /// comes back with <see cref="DynamoDBStreamRecord.ReadError"/> set, as in an event.
    /// </summary>
    public static DynamoDBStreamRecord ReadRecordTolerant(string json)
    {
        ArgumentNullException.ThrowIfNull(json);
        return ReadRecord(System.Text.Encoding.UTF8.GetBytes(json));
    }
}
