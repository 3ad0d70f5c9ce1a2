using System.Text.Json.Serialization;
using CloudShelf.Sync.Streams;

namespace CloudShelf.Sync.StreamReading;

/// <summary>The <c>dynamodb</c> part of a GetRecords record (the SDK's <c>StreamRecord</c>).</summary>
public sealed class StreamsApiChange
{
    /// <summary>Epoch seconds, possibly with a fraction.</summary>
    [JsonPropertyName("ApproximateCreationDateTime")]
    public double? ApproximateCreationDateTime { get; set; }

    /// <summary>The key attributes.</summary>
    [JsonPropertyName("Keys")]
    [JsonConverter(typeof(ItemJsonConverter))]
    public Dictionary<string, AttributeValue>? Keys { get; set; }

    /// <summary>The item after the change.</summary>
    [JsonPropertyName("NewImage")]
    [JsonConverter(typeof(ItemJsonConverter))]
    public Dictionary<string, AttributeValue>? NewImage { get; set; }

    /// <summary>The item before the change.</summary>
    [JsonPropertyName("OldImage")]
    [JsonConverter(typeof(ItemJsonConverter))]
    public Dictionary<string, AttributeValue>? OldImage { get; set; }

    /// <summary>The position in the shard.</summary>
    [JsonPropertyName("SequenceNumber")]
    public string? SequenceNumber { get; set; }

    /// <summary>The record's size in bytes.</summary>
    [JsonPropertyName("SizeBytes")]
    public long? SizeBytes { get; set; }

    /// <summary>The stream's view type.</summary>
    [JsonPropertyName("StreamViewType")]
    public string? StreamViewType { get; set; }
}
