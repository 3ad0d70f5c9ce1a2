using CloudShelf.Sync.Observability;
using CloudShelf.Sync.StreamReading;

namespace CloudShelf.Sync.Cli.LocalMapping;

/// <summary>What every shard worker of one run shares.</summary>
internal sealed class MappingContext(
    LocalMappingOptions options, DynamoDbStreamReader reader, ShardCheckpointStore checkpoints, BatchDelivery delivery, ILog log, TimeProvider time)
{
    private long _lastActivity = time.GetTimestamp();

    public LocalMappingOptions Options { get; } = options;
    public DynamoDbStreamReader Reader { get; } = reader;
    public ShardCheckpointStore Checkpoints { get; } = checkpoints;
    public BatchDelivery Delivery { get; } = delivery;
    public ILog Log { get; } = log;
    public TimeProvider Time { get; } = time;

    /// <summary>How long since a record was last read or handled.</summary>
    public TimeSpan SinceActivity => Time.GetElapsedTime(Interlocked.Read(ref _lastActivity));

    public void Touch() => Interlocked.Exchange(ref _lastActivity, Time.GetTimestamp());
}
