using System.Text.Json.Serialization;
using CloudShelf.Sync.Streams;

namespace CloudShelf.Sync.StreamReading;

/// <summary>Source-generated JSON for the Streams API bodies: no reflection, AOT safe.</summary>
[JsonSourceGenerationOptions(
    MaxDepth = StreamEventSerializer.MaxDepth,
    // The API spells userIdentity's members in PascalCase and error messages as message or Message.
    PropertyNameCaseInsensitive = true,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(StreamsWire.DescribeStreamRequest))]
[JsonSerializable(typeof(StreamsWire.DescribeStreamResponse))]
[JsonSerializable(typeof(StreamsWire.GetShardIteratorRequest))]
[JsonSerializable(typeof(StreamsWire.GetShardIteratorResponse))]
[JsonSerializable(typeof(StreamsWire.GetRecordsRequest))]
[JsonSerializable(typeof(StreamsWire.GetRecordsResponse))]
[JsonSerializable(typeof(StreamsWire.Error))]
internal sealed partial class StreamsWireJsonContext : JsonSerializerContext;
