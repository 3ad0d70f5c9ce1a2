using CloudShelf.Sync.Streams;

namespace CloudShelf.Sync.StreamReading;

/// <summary>
/// Reads one shard from a position, keeping its iterator between reads (GetShardIterator once, then
/// the NextShardIterator of each page). Not thread-safe: one reader per shard and consumer.
/// </summary>
public sealed class ShardReader
{
    /// <summary>GetRecords returns at most this many records per call.</summary>
    public const int MaxPageSize = 1000;

    // An iterator expires after 15 minutes; one renewal per read is normal, several in a row are not.
    private const int MaxRenewals = 3;

    private readonly IDynamoDbStreams _api;
    private readonly TimeProvider _time;
    private string? _iterator;

    internal ShardReader(IDynamoDbStreams api, TimeProvider time, string streamArn, StreamShard shard, StreamPosition from)
    {
        _api = api;
        _time = time;
        StreamArn = streamArn;
        Shard = shard;
        Position = from;
    }

    /// <summary>The stream.</summary>
    public string StreamArn { get; }

    /// <summary>The shard.</summary>
    public StreamShard Shard { get; }

    /// <summary>Where the next read continues: after the last record returned, or where it started.</summary>
    public StreamPosition Position { get; private set; }

    /// <summary>The shard is closed and has been read to its end.</summary>
    public bool Ended { get; private set; }

    /// <summary>
    /// Reads up to the budget: pages until <paramref name="budget"/>'s record count or duration is
    /// reached, an open shard has nothing more for now (an empty page), or a closed shard ends.
    /// An expired iterator is renewed from <see cref="Position"/>; a trimmed position is reported as
    /// <see cref="ShardReadResult.Gap"/> and reading goes on from the oldest record kept.
    /// </summary>
    /// <exception cref="StreamsApiException">A call failed for another reason (e.g. the stream is gone).</exception>
    public async Task<ShardReadResult> ReadAsync(ShardReadBudget budget, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(budget);
        var records = new List<DynamoDBStreamRecord>();
        StreamGap? gap = null;
        var renewals = 0;
        var started = _time.GetTimestamp();
        while (!Ended && records.Count < budget.MaxRecords)
        {
            cancellationToken.ThrowIfCancellationRequested();
            RecordsPage page;
            try
            {
                _iterator ??= await _api.GetShardIteratorAsync(StreamArn, Shard.ShardId, Position.Type, Position.SequenceNumber, cancellationToken);
                page = await _api.GetRecordsAsync(_iterator, Math.Min(MaxPageSize, budget.MaxRecords - records.Count), cancellationToken);
            }
            catch (StreamsApiException e) when (e.ErrorCode == StreamsApiException.ExpiredIterator && renewals < MaxRenewals)
            {
                renewals++;
                _iterator = null;
                continue;
            }
            catch (StreamsApiException e) when (e.ErrorCode == StreamsApiException.TrimmedDataAccess && Position.Type == ShardIteratorType.TRIM_HORIZON
                                                && renewals < MaxRenewals)
            {
                // Nothing read yet, so nothing known lies behind the trim horizon: a new TRIM_HORIZON iterator
                // reads from the oldest record kept. (DynamoDB Local answered this for a shard read from its
                // start while writes arrived; without the renewal the whole mapping run stopped.)
                renewals++;
                _iterator = null;
                continue;
            }
            catch (StreamsApiException e) when (e.ErrorCode == StreamsApiException.TrimmedDataAccess && Position.Type != ShardIteratorType.TRIM_HORIZON)
            {
                // What lay between the position and the trim horizon is gone; say so, and go on.
                gap ??= new StreamGap(Shard.ShardId, Position, e.Message);
                Position = StreamPosition.TrimHorizon;
                _iterator = null;
                continue;
            }

            foreach (var record in page.Records)
            {
                var converted = StreamRecordConverter.ToLambdaRecord(record, StreamArn);
                records.Add(converted);
                Position = StreamPosition.After(converted.Dynamodb!.SequenceNumber!);
            }

            _iterator = page.NextShardIterator;
            if (_iterator is null)
            {
                Ended = true;
                break;
            }

            // An open shard answers an empty page when it has nothing newer; a closed one may answer
            // empty pages before its end, so it is read on (within the budget).
            if (page.Records.Count == 0 && !Shard.IsClosed) break;
            if (_time.GetElapsedTime(started) >= budget.MaxDuration) break;
        }
        return new ShardReadResult(Shard.ShardId, records, Position, Ended, gap);
    }
}
