using CloudShelf.Sync.StreamReading;

namespace CloudShelf.Sync.Cli.LocalMapping;

/// <summary>
/// The settings of the local event source mapping, named after Lambda's. Defaults are those of
/// template.yaml's stream subscriptions (StreamBatchSize, StreamBatchingWindowSeconds,
/// StreamParallelizationFactor, MaximumRetryAttempts -1, StreamMaximumRecordAgeSeconds, and the
/// functions' Timeout).
/// </summary>
internal sealed record LocalMappingOptions
{
    /// <summary>template.yaml's function Timeout (Globals): how long one stream-sync invocation may run.</summary>
    public static readonly TimeSpan DefaultFunctionTimeout = TimeSpan.FromSeconds(60);

    /// <summary>DynamoDB tables whose streams are read; null for every synced table.</summary>
    public IReadOnlyList<string>? Tables { get; init; }

    /// <summary>Stop once every shard is caught up (or ended) and nothing new came for <see cref="DrainIdle"/>.</summary>
    public bool Drain { get; init; }

    /// <summary>BatchSize: records per invocation at most.</summary>
    public int BatchSize { get; init; } = 500;

    /// <summary>MaximumBatchingWindowInSeconds: how long to gather records before invoking with fewer than a full batch.</summary>
    public TimeSpan BatchWindow { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>ParallelizationFactor: concurrent batches per shard, records of one key always in the same lane.</summary>
    public int Parallelization { get; init; } = 2;

    /// <summary>MaximumRecordAgeInSeconds; null for -1 (no limit).</summary>
    public TimeSpan? MaximumRecordAge { get; init; } = TimeSpan.FromSeconds(21600);

    /// <summary>MaximumRetryAttempts; -1 retries until the record age runs out.</summary>
    public int MaximumRetries { get; init; } = -1;

    /// <summary>BisectBatchOnFunctionError.</summary>
    public bool BisectOnError { get; init; } = true;

    /// <summary>StartingPosition for shards without a checkpoint: TRIM_HORIZON or LATEST.</summary>
    public StreamPosition StartingPosition { get; init; } = StreamPosition.TrimHorizon;

    /// <summary>Run the published bootstrap behind a local Runtime API instead of the handler in-process.</summary>
    public string? BootstrapPath { get; init; }

    /// <summary>
    /// The function timeout: an invocation with no answer by then fails (Lambda: "Task timed out") and
    /// its batch is retried. It also bounds how long Ctrl-C waits for the batches in flight.
    /// </summary>
    public TimeSpan FunctionTimeout { get; init; } = DefaultFunctionTimeout;

    /// <summary>The on-failure destination: a folder of JSON invocation records.</summary>
    public string OnFailureDirectory { get; init; } = "stream-on-failure";

    /// <summary>How long nothing new must arrive before <see cref="Drain"/> stops.</summary>
    public TimeSpan DrainIdle { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>How often a caught-up shard is polled (Lambda polls each shard four times a second).</summary>
    public TimeSpan PollInterval { get; init; } = TimeSpan.FromMilliseconds(250);

    /// <summary>Checks the ranges Lambda accepts (record age: from 1 s, locally).</summary>
    /// <exception cref="UsageException">A value is out of range; the message names the option.</exception>
    public void Validate()
    {
        if (BatchSize is < 1 or > 10000) throw new UsageException($"--batch-size must be 1 to 10000, not {BatchSize}.");
        if (BatchWindow < TimeSpan.Zero || BatchWindow > TimeSpan.FromSeconds(300))
            throw new UsageException($"--batch-window must be 0 to 300 seconds, not {BatchWindow.TotalSeconds}.");
        if (Parallelization is < 1 or > 10) throw new UsageException($"--parallelization must be 1 to 10, not {Parallelization}.");
        if (MaximumRecordAge is { } age && (age < TimeSpan.FromSeconds(1) || age > TimeSpan.FromSeconds(604800)))
            throw new UsageException($"--maximum-record-age must be -1 or 1 to 604800 seconds, not {age.TotalSeconds}.");
        if (MaximumRetries is < -1 or > 10000) throw new UsageException($"--maximum-retries must be -1 to 10000, not {MaximumRetries}.");
        if (FunctionTimeout < TimeSpan.FromSeconds(1) || FunctionTimeout > TimeSpan.FromSeconds(900))
            throw new UsageException($"--function-timeout must be 1 to 900 seconds, not {FunctionTimeout.TotalSeconds}.");
        if (StartingPosition.Type is not (ShardIteratorType.TRIM_HORIZON or ShardIteratorType.LATEST))
            throw new UsageException("--starting-position must be TRIM_HORIZON or LATEST.");
        if (BootstrapPath is not null && !File.Exists(BootstrapPath))
            throw new UsageException($"--bootstrap: '{BootstrapPath}' does not exist (make publish builds .artifacts/lambda/bootstrap).");
    }
}
