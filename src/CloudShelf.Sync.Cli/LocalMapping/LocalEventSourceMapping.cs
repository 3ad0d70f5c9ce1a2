using Amazon.DynamoDBv2;
using Amazon.DynamoDBv2.Model;
using CloudShelf.Sync.Observability;
using CloudShelf.Sync.StreamReading;

namespace CloudShelf.Sync.Cli.LocalMapping;

/// <summary>
/// The local counterpart of Lambda's DynamoDB event source mapping: polls every shard of each
/// table's latest stream (children only after their parent is read to its end), hands batches to
/// stream-sync through an <see cref="IBatchInvoker"/>, and keeps checkpoints in PostgreSQL so that a
/// later run continues where this one stopped. Independent of any argument parser.
/// </summary>
internal sealed class LocalEventSourceMapping
{
    // New shards appear when one splits, which closes it; its worker ending triggers a describe, this is the fallback.
    private static readonly TimeSpan DescribeInterval = TimeSpan.FromSeconds(10);

    private readonly LocalMappingOptions _options;
    private readonly IAmazonDynamoDB _dynamoDb;
    private readonly MappingContext _context;
    private readonly List<StreamState> _streams = [];

    public LocalEventSourceMapping(LocalMappingOptions options, IAmazonDynamoDB dynamoDb, DynamoDbStreamReader reader,
        ShardCheckpointStore checkpoints, IBatchInvoker invoker, ILog log, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _options = options;
        _dynamoDb = dynamoDb;
        var delivery = new BatchDelivery(options, invoker, new OnFailureDestination(options.OnFailureDirectory, time), log, time);
        _context = new MappingContext(options, reader, checkpoints, delivery, log, time);
    }

    /// <summary>What the run did so far.</summary>
    public MappingSummary Summary { get; } = new();

    /// <summary>
    /// Runs until <paramref name="cancellationToken"/> fires (Ctrl-C) or, with Drain, until every shard
    /// is caught up or ended and nothing new came for the idle time. Batches in flight finish first.
    /// </summary>
    /// <param name="tables">The DynamoDB tables whose latest streams are read.</param>
    /// <param name="cancellationToken">Stops the run cleanly.</param>
    /// <exception cref="UsageException">A table has no stream.</exception>
    public async Task<MappingSummary> RunAsync(IReadOnlyList<string> tables, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(tables);
        foreach (var table in tables)
        {
            var description = await _dynamoDb.DescribeTableAsync(table, cancellationToken);
            var arn = description.Table.LatestStreamArn;
            if (string.IsNullOrEmpty(arn) || description.Table.StreamSpecification?.StreamEnabled == false)
                throw new UsageException($"Table '{table}' has no stream enabled: enable NEW_AND_OLD_IMAGES streams before running the mapping.");
            _streams.Add(new StreamState(table, arn, Summary.For(table, arn)));
        }

        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var running = _streams.Select(s => StopAllOnFailureAsync(s, stop)).ToList();
        var watcher = _options.Drain ? WatchDrainAsync(stop) : Task.CompletedTask;
        var stopping = ReportWhileStoppingAsync(Task.WhenAll(running), stop.Token);
        try
        {
            await Task.WhenAll(running);
        }
        finally
        {
            await stop.CancelAsync();
            await watcher;
            await stopping;
        }
        return Summary;
    }

    /// <summary>
    /// Once the run is told to stop, says every 10 s what it still waits for (batches in flight finish
    /// first), so that a stop that takes long shows where it stands.
    /// </summary>
    private async Task ReportWhileStoppingAsync(Task all, CancellationToken stop)
    {
        var stopped = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using (stop.Register(() => stopped.TrySetResult()))
        {
            if (await Task.WhenAny(all, stopped.Task) == all) return;
        }
        var since = _context.Time.GetTimestamp();
        while (await Task.WhenAny(all, Task.Delay(TimeSpan.FromSeconds(10), _context.Time, CancellationToken.None)) != all)
        {
            _context.Log.Warn("Stopping: waiting for the batches in flight",
                new LogField("waiting_ms", (long)_context.Time.GetElapsedTime(since).TotalMilliseconds),
                new LogField("busy", string.Join(",", _streams.SelectMany(s => s.Workers.Where(w => !w.CaughtUp).Select(w => s.Table + "/" + w.ShardId))
                    .Concat(_streams.Where(s => s.Describing).Select(s => s.Table + " describing")))));
        }
    }

    private async Task StopAllOnFailureAsync(StreamState stream, CancellationTokenSource stop)
    {
        try
        {
            await RunStreamAsync(stream, stop.Token);
        }
        catch
        {
            // One stream that cannot be read ends the run (after the batches in flight), with its error.
            await stop.CancelAsync();
            throw;
        }
    }

    private async Task RunStreamAsync(StreamState stream, CancellationToken stopping)
    {
        var checkpoints = await _context.Checkpoints.ReadAsync(stream.Arn, CancellationToken.None);
        var finished = new HashSet<string>(checkpoints.Values.Where(c => c.Finished).Select(c => c.ShardId), StringComparer.Ordinal);
        var workers = new Dictionary<string, (ShardWorker Worker, Task<bool> Run)>(StringComparer.Ordinal);
        var first = true;
        try
        {
            while (!stopping.IsCancellationRequested)
            {
                stream.Describing = true;
                ShardTree tree;
                try
                {
                    tree = await _context.Reader.DescribeStreamAsync(stream.Arn, stopping);
                }
                catch (OperationCanceledException) when (stopping.IsCancellationRequested)
                {
                    break;
                }

                // LATEST applies to the shards open when the mapping starts: closed ones hold only the past,
                // and skipping them makes their open children readable in the same pass.
                var latest = first && _options.StartingPosition.Type == ShardIteratorType.LATEST;
                bool skipped;
                do
                {
                    skipped = false;
                    foreach (var shard in tree.Readable(finished))
                    {
                        if (workers.ContainsKey(shard.ShardId)) continue;
                        StreamPosition from;
                        if (checkpoints.TryGetValue(shard.ShardId, out var checkpoint) && checkpoint.SequenceNumber is not null)
                        {
                            from = StreamPosition.After(checkpoint.SequenceNumber);
                        }
                        else if (latest)
                        {
                            if (shard.IsClosed)
                            {
                                finished.Add(shard.ShardId);
                                skipped = true;
                                continue;
                            }
                            from = StreamPosition.Latest;
                        }
                        else
                        {
                            // A shard born after the start (a split) is read from its beginning, or records are lost.
                            from = StreamPosition.TrimHorizon;
                        }
                        _context.Log.Debug("Reading shard", new LogField("stream_arn", stream.Arn), new LogField("shard_id", shard.ShardId),
                            new LogField("from", from.ToString()), new LogField("closed", shard.IsClosed));
                        var worker = new ShardWorker(_context, stream.Arn, shard, from, stream.Counters);
                        workers[shard.ShardId] = (worker, Task.Run(() => worker.RunAsync(stopping), CancellationToken.None));
                    }
                } while (skipped);
                first = false;
                stream.Workers = [.. workers.Values.Select(w => w.Worker)];
                stream.Describing = false;

                var next = Task.Delay(DescribeInterval, _context.Time, stopping);
                var done = await Task.WhenAny(workers.Values.Select(w => (Task)w.Run).Append(next));
                foreach (var (id, (_, run)) in workers.ToList())
                {
                    if (!run.IsCompleted) continue;
                    if (await run) finished.Add(id);
                    workers.Remove(id);
                }
                if (done == next && next.IsCanceled) break;
            }
        }
        finally
        {
            stream.Describing = false;
            await Task.WhenAll(workers.Values.Select(w => w.Run));
        }
    }

    private async Task WatchDrainAsync(CancellationTokenSource stop)
    {
        try
        {
            while (!stop.IsCancellationRequested)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(100), _context.Time, stop.Token);
                var idle = _streams.All(s => !s.Describing && s.Workers.All(w => w.CaughtUp));
                if (_context.Log.IsEnabled(LogLevel.Debug))
                    _context.Log.Debug("Drain check", new LogField("idle", idle), new LogField("since_activity_ms", (long)_context.SinceActivity.TotalMilliseconds),
                        new LogField("busy", string.Join(",", _streams.SelectMany(s => s.Workers.Where(w => !w.CaughtUp).Select(w => s.Table + "/" + w.ShardId))
                            .Concat(_streams.Where(s => s.Describing).Select(s => s.Table + " describing")))));
                if (idle && _context.SinceActivity >= _options.DrainIdle)
                {
                    await stop.CancelAsync();
                    return;
                }
            }
        }
        catch (OperationCanceledException)
        {
            // The run ended another way.
        }
    }

    private sealed class StreamState(string table, string arn, StreamCounters counters)
    {
        public string Table { get; } = table;
        public string Arn { get; } = arn;
        public StreamCounters Counters { get; } = counters;
        public volatile bool Describing = true;
        public volatile IReadOnlyList<ShardWorker> Workers = [];
    }
}
