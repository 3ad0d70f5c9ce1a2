using System.Text.Json.Serialization;

namespace CloudShelf.Sync.StreamReading;

/// <summary>
/// A record as GetRecords returns it (the SDK's <c>Record</c>). It differs from what Lambda delivers:
/// no <c>eventSourceARN</c>, a creation time with fractions of a second, <c>userIdentity</c> members in
/// PascalCase. <see cref="StreamRecordConverter"/> turns it into the Lambda event record.
/// </summary>
public sealed class StreamsApiRecord
{
    /// <summary>A globally unique identifier for the event.</summary>
    [JsonPropertyName("eventID")]
    public string? EventId { get; set; }

    /// <summary>INSERT, MODIFY or REMOVE.</summary>
    [JsonPropertyName("eventName")]
    public string? EventName { get; set; }

    /// <summary>The record format version.</summary>
    [JsonPropertyName("eventVersion")]
    public string? EventVersion { get; set; }

    /// <summary><c>aws:dynamodb</c>.</summary>
    [JsonPropertyName("eventSource")]
    public string? EventSource { get; set; }

    /// <summary>The region of the table.</summary>
    [JsonPropertyName("awsRegion")]
    public string? AwsRegion { get; set; }

    /// <summary>The change.</summary>
    [JsonPropertyName("dynamodb")]
    public StreamsApiChange? Dynamodb { get; set; }

    /// <summary>Set on changes DynamoDB made itself (TTL expiry).</summary>
    [JsonPropertyName("userIdentity")]
    public StreamsApiIdentity? UserIdentity { get; set; }
}
