using System.Text.Json.Serialization;

namespace CloudShelf.Sync.StreamReading;

/// <summary>The JSON bodies of the DynamoDB Streams API (protocol awsJson1.0, version 2012-08-10).</summary>
internal static class StreamsWire
{
    internal sealed class DescribeStreamRequest
    {
        public string? StreamArn { get; set; }
        public string? ExclusiveStartShardId { get; set; }
    }

    internal sealed class DescribeStreamResponse
    {
        public StreamDescription? StreamDescription { get; set; }
    }

    internal sealed class StreamDescription
    {
        public string? StreamArn { get; set; }
        public string? TableName { get; set; }
        public string? StreamStatus { get; set; }
        public string? StreamViewType { get; set; }
        public List<Shard>? Shards { get; set; }
        public string? LastEvaluatedShardId { get; set; }
    }

    internal sealed class Shard
    {
        public string? ShardId { get; set; }
        public string? ParentShardId { get; set; }
        public SequenceNumberRange? SequenceNumberRange { get; set; }
    }

    internal sealed class SequenceNumberRange
    {
        public string? StartingSequenceNumber { get; set; }
        public string? EndingSequenceNumber { get; set; }
    }

    internal sealed class GetShardIteratorRequest
    {
        public string? StreamArn { get; set; }
        public string? ShardId { get; set; }
        public string? ShardIteratorType { get; set; }
        public string? SequenceNumber { get; set; }
    }

    internal sealed class GetShardIteratorResponse
    {
        public string? ShardIterator { get; set; }
    }

    internal sealed class GetRecordsRequest
    {
        public string? ShardIterator { get; set; }
        public int Limit { get; set; }
    }

    internal sealed class GetRecordsResponse
    {
        public List<StreamsApiRecord>? Records { get; set; }
        public string? NextShardIterator { get; set; }
    }

    internal sealed class Error
    {
        [JsonPropertyName("__type")]
        public string? Type { get; set; }
        public string? Message { get; set; }
    }
}
