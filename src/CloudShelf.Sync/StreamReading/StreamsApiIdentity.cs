using System.Text.Json.Serialization;

namespace CloudShelf.Sync.StreamReading;

/// <summary>The SDK's <c>Identity</c>: who made a change that no application made.</summary>
public sealed class StreamsApiIdentity
{
    /// <summary><c>dynamodb.amazonaws.com</c> for a TTL deletion.</summary>
    [JsonPropertyName("PrincipalId")]
    public string? PrincipalId { get; set; }

    /// <summary><c>Service</c>.</summary>
    [JsonPropertyName("Type")]
    public string? Type { get; set; }
}
