namespace CloudShelf.Sync.StreamReading;

/// <summary>
/// The three DynamoDB Streams operations the reader uses, shaped after the AWS SDK's
/// <c>IAmazonDynamoDBStreams</c>. The SDK's client lives in the AWSSDK.DynamoDBStreams package
/// since SDK v4, which this project's package source does not serve; <see cref="DynamoDbStreamsClient"/>
/// speaks the same documented wire protocol. Swapping in the SDK is a change behind this interface.
/// </summary>
public interface IDynamoDbStreams
{
    /// <summary>One page of DescribeStream.</summary>
    /// <param name="streamArn">The stream.</param>
    /// <param name="exclusiveStartShardId">The previous page's <see cref="StreamDescriptionPage.LastEvaluatedShardId"/>, or null for the first page.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <exception cref="StreamsApiException">The service refused the call.</exception>
    Task<StreamDescriptionPage> DescribeStreamAsync(string streamArn, string? exclusiveStartShardId, CancellationToken cancellationToken);

    /// <summary>GetShardIterator.</summary>
    /// <param name="streamArn">The stream.</param>
    /// <param name="shardId">The shard.</param>
    /// <param name="type">Where to start.</param>
    /// <param name="sequenceNumber">For AT_ and AFTER_SEQUENCE_NUMBER: the sequence number.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <exception cref="StreamsApiException">E.g. <c>TrimmedDataAccessException</c> for a position older than the stream keeps.</exception>
    Task<string> GetShardIteratorAsync(string streamArn, string shardId, ShardIteratorType type, string? sequenceNumber, CancellationToken cancellationToken);

    /// <summary>GetRecords: at most <paramref name="limit"/> records (and 1 MB) from an iterator.</summary>
    /// <param name="shardIterator">From GetShardIterator or the previous page.</param>
    /// <param name="limit">1 to 1,000.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <exception cref="StreamsApiException"><c>ExpiredIteratorException</c> (iterators live 15 minutes), <c>TrimmedDataAccessException</c>.</exception>
    Task<RecordsPage> GetRecordsAsync(string shardIterator, int limit, CancellationToken cancellationToken);
}
