using System.Text.Json.Serialization;

namespace CloudShelf.Sync.Streams;

/// <summary>
/// The event Lambda delivers for a DynamoDB Streams event source mapping, field for field as AWS
/// documents it (the shape of <c>Amazon.Lambda.DynamoDBEvents.DynamoDBEvent</c>).
/// </summary>
public sealed class DynamoDBEvent
{
    /// <summary>The stream records of this batch, in shard order.</summary>
    [JsonPropertyName("Records")]
    public List<DynamoDBStreamRecord> Records { get; set; } = [];
}

/// <summary>One stream record with its envelope.</summary>
public sealed class DynamoDBStreamRecord
{
    /// <summary>A globally unique identifier for the event.</summary>
    [JsonPropertyName("eventID")]
    public string? EventId { get; set; }

    /// <summary>INSERT, MODIFY or REMOVE.</summary>
    [JsonPropertyName("eventName")]
    [JsonConverter(typeof(RepeatedStringJsonConverter))]
    public string? EventName { get; set; }

    /// <summary>The stream record format version.</summary>
    [JsonPropertyName("eventVersion")]
    [JsonConverter(typeof(RepeatedStringJsonConverter))]
    public string? EventVersion { get; set; }

    /// <summary>Always <c>aws:dynamodb</c>.</summary>
    [JsonPropertyName("eventSource")]
    [JsonConverter(typeof(RepeatedStringJsonConverter))]
    public string? EventSource { get; set; }

    /// <summary>The region of the source table.</summary>
    [JsonPropertyName("awsRegion")]
    [JsonConverter(typeof(RepeatedStringJsonConverter))]
    public string? AwsRegion { get; set; }

    /// <summary>The change itself.</summary>
    [JsonPropertyName("dynamodb")]
    public StreamRecord? Dynamodb { get; set; }

    /// <summary>The ARN of the stream, which names the source table.</summary>
    [JsonPropertyName("eventSourceARN")]
    [JsonConverter(typeof(RepeatedStringJsonConverter))]
    public string? EventSourceArn { get; set; }

    /// <summary>Present on changes made by DynamoDB itself, such as TTL expiry.</summary>
    [JsonPropertyName("userIdentity")]
    public StreamUserIdentity? UserIdentity { get; set; }

    /// <summary>Why the record could not be read, when it could not; the record is then quarantined.</summary>
    [JsonIgnore]
    public string? ReadError { get; set; }

    /// <summary>The record's JSON as delivered, when it was read from an event: what quarantine keeps.</summary>
    [JsonIgnore]
    public ReadOnlyMemory<byte>? Raw { get; set; }
}

/// <summary>The <c>dynamodb</c> part of a stream record.</summary>
public sealed class StreamRecord
{
    /// <summary>When the change was made, to the second (documented as epoch seconds).</summary>
    [JsonPropertyName("ApproximateCreationDateTime")]
    [JsonConverter(typeof(EpochTimeJsonConverter))]
    public DateTimeOffset? ApproximateCreationDateTime { get; set; }

    /// <summary>The primary key attributes of the item.</summary>
    [JsonPropertyName("Keys")]
    [JsonConverter(typeof(ItemJsonConverter))]
    public Dictionary<string, AttributeValue>? Keys { get; set; }

    /// <summary>The item after the change (NEW_IMAGE, NEW_AND_OLD_IMAGES streams).</summary>
    [JsonPropertyName("NewImage")]
    [JsonConverter(typeof(ItemJsonConverter))]
    public Dictionary<string, AttributeValue>? NewImage { get; set; }

    /// <summary>
    /// The item before the change (OLD_IMAGE, NEW_AND_OLD_IMAGES streams). Events read by
    /// <see cref="StreamEventSerializer.ReadEvent"/> read it from the record's JSON on first use.
    /// </summary>
    /// <exception cref="System.Text.Json.JsonException">On first use, when the delivered old image is malformed.</exception>
    [JsonPropertyName("OldImage")]
    [JsonConverter(typeof(ItemJsonConverter))]
    public Dictionary<string, AttributeValue>? OldImage
    {
        get
        {
            if (_oldImageSource is { } source)
            {
                _oldImage = StreamEventSerializer.ReadOldImage(source);
                _oldImageSource = null;
            }
            return _oldImage;
        }
        set
        {
            _oldImage = value;
            _oldImageSource = null;
        }
    }

    private Dictionary<string, AttributeValue>? _oldImage;
    private ReadOnlyMemory<byte>? _oldImageSource;

    internal void ReadOldImageFrom(ReadOnlyMemory<byte> record) => _oldImageSource = record;

    /// <summary>The position of the change in its shard: a decimal number of up to 40 digits.</summary>
    [JsonPropertyName("SequenceNumber")]
    public string? SequenceNumber { get; set; }

    /// <summary>The size of the record in bytes.</summary>
    [JsonPropertyName("SizeBytes")]
    public long? SizeBytes { get; set; }

    /// <summary>KEYS_ONLY, NEW_IMAGE, OLD_IMAGE or NEW_AND_OLD_IMAGES.</summary>
    [JsonPropertyName("StreamViewType")]
    [JsonConverter(typeof(RepeatedStringJsonConverter))]
    public string? StreamViewType { get; set; }
}

/// <summary>Who made the change, when it was not an application.</summary>
public sealed class StreamUserIdentity
{
    /// <summary>"Service" for changes made by DynamoDB.</summary>
    [JsonPropertyName("type")]
    [JsonConverter(typeof(RepeatedStringJsonConverter))]
    public string? Type { get; set; }

    /// <summary>"dynamodb.amazonaws.com" for a TTL deletion.</summary>
    [JsonPropertyName("principalId")]
    [JsonConverter(typeof(RepeatedStringJsonConverter))]
    public string? PrincipalId { get; set; }
}

/// <summary>
/// The partial batch response (<c>ReportBatchItemFailures</c>): Lambda checkpoints at the lowest
/// failed sequence number and delivers the batch again from there.
/// </summary>
public sealed class StreamsEventResponse
{
    /// <summary>The records that were not applied. Empty means the whole batch succeeded.</summary>
    [JsonPropertyName("batchItemFailures")]
    public List<BatchItemFailure> BatchItemFailures { get; set; } = [];
}

/// <summary>One failed record, named by its sequence number.</summary>
public sealed class BatchItemFailure
{
    /// <summary>The failed record's <c>SequenceNumber</c>.</summary>
    [JsonPropertyName("itemIdentifier")]
    public string? ItemIdentifier { get; set; }
}
