namespace CloudShelf.Sync.StreamReading;

/// <summary>One page of DescribeStream.</summary>
/// <param name="StreamArn">The stream.</param>
/// <param name="TableName">Its table.</param>
/// <param name="StreamStatus">ENABLING, ENABLED, DISABLING or DISABLED.</param>
/// <param name="StreamViewType">KEYS_ONLY, NEW_IMAGE, OLD_IMAGE or NEW_AND_OLD_IMAGES.</param>
/// <param name="Shards">The shards of this page.</param>
/// <param name="LastEvaluatedShardId">Set when there are more pages.</param>
public sealed record StreamDescriptionPage(
    string StreamArn, string? TableName, string? StreamStatus, string? StreamViewType,
    IReadOnlyList<StreamShard> Shards, string? LastEvaluatedShardId);
