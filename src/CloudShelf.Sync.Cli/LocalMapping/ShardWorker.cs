using System.Text;
using System.Threading.Channels;
using CloudShelf.Sync.Observability;
using CloudShelf.Sync.Postgres;
using CloudShelf.Sync.StreamReading;
using CloudShelf.Sync.Streams;

namespace CloudShelf.Sync.Cli.LocalMapping;

/// <summary>
/// Polls one shard and delivers its records in up to ParallelizationFactor lanes: each record goes to
/// the lane its partition key hashes to, so the changes of one item stay in order while batches of
/// different items run concurrently. The shard's checkpoint never passes a record still in a lane.
/// </summary>
internal sealed class ShardWorker
{
    private readonly MappingContext _context;
    private readonly string _streamArn;
    private readonly StreamShard _shard;
    private readonly StreamPosition _from;
    private readonly StreamCounters _counters;
    private readonly ShardProgress _progress = new();
    private readonly SemaphoreSlim _saving = new(1, 1);
    private volatile bool _caughtUp;

    public ShardWorker(MappingContext context, string streamArn, StreamShard shard, StreamPosition from, StreamCounters counters)
    {
        _context = context;
        _streamArn = streamArn;
        _shard = shard;
        _from = from;
        _counters = counters;
    }

    public string ShardId => _shard.ShardId;

    /// <summary>The last read found nothing new and no record is waiting in a lane.</summary>
    public bool CaughtUp => _caughtUp;

    /// <summary>Runs until the shard ends (true: read to its end and every record handled) or <paramref name="stopping"/> (false).</summary>
    public async Task<bool> RunAsync(CancellationToken stopping)
    {
        var options = _context.Options;
        var reader = _context.Reader.OpenShard(_streamArn, _shard, _from);
        var lanes = Enumerable.Range(0, options.Parallelization)
            .Select(_ => Channel.CreateUnbounded<DynamoDBStreamRecord>(new UnboundedChannelOptions { SingleWriter = true, SingleReader = true }))
            .ToArray();
        var laneTasks = lanes.Select(lane => Task.Run(() => LaneAsync(lane.Reader, stopping), CancellationToken.None)).ToArray();
        // Read ahead at most two full batches per lane.
        var readAhead = Math.Max(options.BatchSize * options.Parallelization * 2, ShardReader.MaxPageSize);
        try
        {
            while (!stopping.IsCancellationRequested)
            {
                var room = readAhead - _progress.Outstanding;
                if (room <= 0)
                {
                    await Task.Delay(TimeSpan.FromMilliseconds(20), _context.Time, stopping);
                    continue;
                }
                var result = await reader.ReadAsync(new ShardReadBudget(Math.Min(room, ShardReader.MaxPageSize), TimeSpan.FromSeconds(1)), stopping);
                if (result.Gap is { } gap)
                {
                    _counters.Gap();
                    _context.Log.Error("Stream records were lost to retention before they were read (TrimmedDataAccessException)",
                        new LogField("stream_arn", _streamArn), new LogField("shard_id", gap.ShardId),
                        new LogField("from", gap.From.ToString()), new LogField("reason", gap.Reason));
                }
                if (result.Records.Count > 0)
                {
                    _caughtUp = false;
                    _context.Touch();
                    _counters.Read(result.Records.Count);
                    _progress.Add(result.Records);
                    foreach (var record in result.Records) lanes[Lane(record, lanes.Length)].Writer.TryWrite(record);
                }
                if (result.Ended) break;
                if (result.Records.Count == 0)
                {
                    _caughtUp = _progress.Outstanding == 0;
                    await Task.Delay(options.PollInterval, _context.Time, stopping);
                }
            }
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
            // Stopping: the lanes finish the batches in flight.
        }
        finally
        {
            foreach (var lane in lanes) lane.Writer.TryComplete();
            // Also when the read failed: no lane may still be invoking once the run ends and the invoker goes.
            await Task.WhenAll(laneTasks);
        }

        var finished = reader.Ended && _progress.Outstanding == 0;
        if (finished)
        {
            // Unsaved, the shard is read again next run from its last checkpoint: duplicates, which change nothing.
            if (!await SaveCheckpointAsync(null, finished: true)) return false;
            _counters.ShardFinished();
        }
        _caughtUp = true;
        return finished;
    }

    private async Task LaneAsync(ChannelReader<DynamoDBStreamRecord> lane, CancellationToken stopping)
    {
        var options = _context.Options;
        while (await lane.WaitToReadAsync(CancellationToken.None))
        {
            if (stopping.IsCancellationRequested)
            {
                // Not delivered, so not checkpointed: the next run reads them again.
                while (lane.TryRead(out _)) { }
                continue;
            }

            var batch = new List<DynamoDBStreamRecord>();
            var windowEnd = _context.Time.GetTimestamp() + (long)(options.BatchWindow.TotalSeconds * _context.Time.TimestampFrequency);
            while (batch.Count < options.BatchSize)
            {
                while (batch.Count < options.BatchSize && lane.TryRead(out var record)) batch.Add(record);
                var left = TimeSpan.FromSeconds((double)(windowEnd - _context.Time.GetTimestamp()) / _context.Time.TimestampFrequency);
                if (batch.Count >= options.BatchSize || left <= TimeSpan.Zero || stopping.IsCancellationRequested) break;
                using var window = CancellationTokenSource.CreateLinkedTokenSource(stopping);
                window.CancelAfter(left);
                try
                {
                    if (!await lane.WaitToReadAsync(window.Token)) break;
                }
                catch (OperationCanceledException)
                {
                    break;
                }
            }
            if (batch.Count == 0) continue;
            await _context.Delivery.DeliverAsync(_streamArn, _shard.ShardId, batch, _counters, HandledAsync, stopping);
        }
    }

    private async Task HandledAsync(IReadOnlyList<DynamoDBStreamRecord> records)
    {
        _context.Touch();
        await _saving.WaitAsync(CancellationToken.None);
        try
        {
            // Taken under the lock, so checkpoints are saved in the order they were reached.
            if (_progress.Complete(records) is { } checkpoint) await SaveCheckpointAsync(checkpoint, finished: false);
        }
        finally
        {
            _saving.Release();
        }
    }

    /// <summary>
    /// Saves the checkpoint in PostgreSQL; false when the database is unreachable. Lambda keeps its
    /// checkpoints itself, this mapping keeps them in the database stream-sync writes to, so an outage
    /// that begins right after a batch was applied must not end the run: the next save carries a later
    /// checkpoint, and a checkpoint never saved only means records read and applied again.
    /// </summary>
    private async Task<bool> SaveCheckpointAsync(string? sequenceNumber, bool finished)
    {
        try
        {
            await _context.Checkpoints.SaveAsync(_streamArn, _shard.ShardId, sequenceNumber, finished, CancellationToken.None);
            return true;
        }
        catch (Exception e) when (PostgresErrors.IsTransient(e))
        {
            _context.Log.Warn("Checkpoint not saved: PostgreSQL is unreachable; the records after the last saved one will be delivered again",
                new LogField("stream_arn", _streamArn), new LogField("shard_id", _shard.ShardId), new LogField("sequence_number", sequenceNumber),
                new LogField("error", e.GetType().Name));
            return false;
        }
    }

    /// <summary>The lane of a record: a stable hash (FNV-1a) of its key attributes.</summary>
    internal static int Lane(DynamoDBStreamRecord record, int lanes)
    {
        if (lanes == 1) return 0;
        var keys = record.Dynamodb?.Keys;
        if (keys is null) return 0;
        var text = new StringBuilder();
        foreach (var (name, value) in keys.OrderBy(k => k.Key, StringComparer.Ordinal))
            text.Append(name).Append('=').Append(DynamoJson.Serialize(value)).Append(';');
        var hash = 2166136261u;
        foreach (var b in Encoding.UTF8.GetBytes(text.ToString()))
        {
            hash ^= b;
            hash *= 16777619u;
        }
        return (int)(hash % (uint)lanes);
    }
}
