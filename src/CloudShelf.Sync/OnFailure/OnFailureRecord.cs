using CloudShelf.Sync.Streams;

namespace CloudShelf.Sync.OnFailure;

/// <summary>
/// One invocation record of a stream event source mapping's on-failure destination: a batch the
/// mapping gave up on (retries or record age exhausted). S3 destinations (and the local mapping's
/// directory) keep the batch itself in <c>payload</c>; SQS and SNS ones keep only its position.
/// </summary>
/// <param name="Name">Where it was read from (file path or S3 URI).</param>
/// <param name="Condition"><c>requestContext.condition</c>, e.g. RetryAttemptsExhausted or RecordAgeExceeded.</param>
/// <param name="StreamArn"><c>DDBStreamBatchInfo.streamArn</c>.</param>
/// <param name="ShardId"><c>DDBStreamBatchInfo.shardId</c>.</param>
/// <param name="Records">The records of the discarded batch.</param>
public sealed record OnFailureRecord(string Name, string? Condition, string? StreamArn, string? ShardId, IReadOnlyList<DynamoDBStreamRecord> Records);
