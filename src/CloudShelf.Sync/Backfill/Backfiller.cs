using System.Diagnostics;
using Amazon.DynamoDBv2;
using Amazon.DynamoDBv2.Model;
using CloudShelf.Sync.Dynamo;
using CloudShelf.Sync.Mapping;
using CloudShelf.Sync.Observability;
using CloudShelf.Sync.Postgres;
using CloudShelf.Sync.Streams;
using CloudShelf.Sync.StreamSync;
using Npgsql;
using NpgsqlTypes;
using AttributeValue = CloudShelf.Sync.Streams.AttributeValue;

namespace CloudShelf.Sync.Backfill;

/// <summary>
/// Loads the items that existed before the stream was enabled: a parallel Scan by segments, one
/// page per transaction through the same guarded merge as the stream, at sequence number 0. Every
/// stream change has a higher number, so a backfilled row never overwrites a row the stream wrote,
/// and a tombstone always outranks it, so a deleted item never comes back. Progress is
/// checkpointed per segment after each page; a crash or a Lambda timeout resumes from the last
/// page, and a page done twice changes nothing.
/// </summary>
public sealed class Backfiller(
    IAmazonDynamoDB dynamoDb,
    NpgsqlDataSource dataSource,
    IChangeWriter writer,
    ILog log,
    TimeProvider time,
    Action<Exception>? onDatabaseFailure = null)
{
    /// <summary>The sequence number of backfilled rows: older than any stream change.</summary>
    public const string BackfillSequence = "0";

    private readonly CapacityThrottle _throttle = new(time);

    /// <summary>
    /// Scans one segment page by page until it is done or <paramref name="cancellationToken"/>
    /// fires (a Lambda's time budget), checkpointing after each page.
    /// </summary>
    public async Task<SegmentProgress> RunSegmentAsync(
        TableMapping table, int segment, int totalSegments, BackfillOptions options,
        IProgress<int>? progress, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(table);
        ArgumentNullException.ThrowIfNull(options);
        if (totalSegments < 1 || segment < 0 || segment >= totalSegments)
            throw new ArgumentOutOfRangeException(nameof(segment), $"Segment {segment} of {totalSegments} does not exist.");

        try
        {
            return await RunPagesAsync(table, segment, totalSegments, options, progress, cancellationToken);
        }
        catch (Exception e) when (PostgresErrors.IsTransient(e))
        {
            // E.g. a refused password after rotation: the credentials are read again next time.
            onDatabaseFailure?.Invoke(e);
            throw;
        }
    }

    private async Task<SegmentProgress> RunPagesAsync(
        TableMapping table, int segment, int totalSegments, BackfillOptions options,
        IProgress<int>? progress, CancellationToken cancellationToken)
    {
        var state = await LoadAsync(table.SourceTable, segment, totalSegments, cancellationToken);
        while (!state.Done && !cancellationToken.IsCancellationRequested)
        {
            var started = Stopwatch.GetTimestamp();
            var page = await ScanAsync(table.SourceTable, segment, totalSegments, state.StartKey, options.PageSize, cancellationToken);
            var (changes, quarantine) = ToChanges(table, page.Items);
            var written = changes.Count == 0 && quarantine.Count == 0
                ? 0
                : (await writer.WriteAsync(changes, quarantine, cancellationToken)).Won.Count;
            var next = page.LastEvaluatedKey is { Count: > 0 } key ? SdkValues.FromSdkItem(key) : null;
            state = state with
            {
                StartKey = next,
                ItemsScanned = state.ItemsScanned + page.Items.Count,
                ItemsWritten = state.ItemsWritten + written,
                Done = next is null,
            };
            await SaveAsync(table.SourceTable, segment, totalSegments, state, CancellationToken.None);
            progress?.Report(page.Items.Count);
            if (quarantine.Count > 0)
                log.Warn("Backfill items quarantined", new LogField("table", table.Table), new LogField("count", quarantine.Count));
            if (options.ReadUnitsPerSecond is { } rate)
                await _throttle.WaitAsync(page.ConsumedCapacity?.CapacityUnits ?? page.Items.Count * 0.5, rate, cancellationToken);
            log.Debug("Backfill page", new LogField("table", table.SourceTable), new LogField("segment", segment),
                new LogField("items", page.Items.Count), new LogField("written", written),
                new LogField("duration_ms", Stopwatch.GetElapsedTime(started).TotalMilliseconds));
        }
        return new SegmentProgress(table.SourceTable, segment, totalSegments, state.ItemsScanned, state.ItemsWritten, state.Done);
    }

    /// <summary>Where a segment stands according to its checkpoint.</summary>
    public async Task<SegmentProgress> ProgressAsync(TableMapping table, int segment, int totalSegments, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(table);
        var state = await LoadAsync(table.SourceTable, segment, totalSegments, cancellationToken);
        return new SegmentProgress(table.SourceTable, segment, totalSegments, state.ItemsScanned, state.ItemsWritten, state.Done);
    }

    /// <summary>Forgets the checkpoints of a table's backfill, so that the next run scans it from the start.</summary>
    public async Task ResetAsync(string sourceTable, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("DELETE FROM cloudshelf_sync.backfill_segments WHERE source_table = $1");
        command.Parameters.Add(new NpgsqlParameter { Value = sourceTable });
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    private static (List<Change> Changes, List<QuarantineEntry> Quarantine) ToChanges(
        TableMapping table, List<Dictionary<string, Amazon.DynamoDBv2.Model.AttributeValue>> items)
    {
        var changes = new List<Change>(items.Count);
        var quarantine = new List<QuarantineEntry>();
        foreach (var sdkItem in items)
        {
            var item = SdkValues.FromSdkItem(sdkItem);
            var source = new SourceRecord(SyntheticRecord(table, item), table.SourceTable);
            try
            {
                var row = ItemMapper.Map(table, item);
                changes.Add(new Change
                {
                    Table = table,
                    Key = row.Key,
                    SequenceNumber = BackfillSequence,
                    Kind = ChangeKind.Upsert,
                    Row = row,
                    Records = [source],
                });
            }
            catch (UnmappableRecordException e)
            {
                quarantine.Add(new QuarantineEntry(source, table.Table, null, $"Backfilled item cannot be mapped: {e.Message}", "unmappable"));
            }
        }
        return (changes, quarantine);
    }

    /// <summary>
    /// A backfilled item in the shape of a stream INSERT at sequence number 0, so that quarantine and
    /// replay treat it like any record (and replay keeps the ordering guard).
    /// </summary>
    private static DynamoDBStreamRecord SyntheticRecord(TableMapping table, Dictionary<string, AttributeValue> item) => new()
    {
        EventName = "INSERT",
        EventSource = "cloudshelf:backfill",
        EventSourceArn = $"arn:aws:dynamodb:local:000000000000:table/{table.SourceTable}/backfill",
        Dynamodb = new StreamRecord
        {
            Keys = item.TryGetValue(table.KeyAttribute, out var key) ? new Dictionary<string, AttributeValue> { [table.KeyAttribute] = key } : null,
            NewImage = item,
            SequenceNumber = BackfillSequence,
            StreamViewType = "NEW_IMAGE",
        },
    };

    private async Task<ScanResponse> ScanAsync(
        string table, int segment, int totalSegments, Dictionary<string, AttributeValue>? startKey, int pageSize, CancellationToken cancellationToken)
    {
        // A page that still fails after the retries ends the segment run; its checkpoint stays where it was.
        var request = new ScanRequest
        {
            TableName = table,
            Segment = segment,
            TotalSegments = totalSegments,
            Limit = pageSize,
            ExclusiveStartKey = startKey?.ToDictionary(k => k.Key, k => SdkValues.ToSdk(k.Value)),
            ReturnConsumedCapacity = ReturnConsumedCapacity.TOTAL,
        };
        return await DynamoDbCalls.WithThrottlingRetriesAsync(
            ct => dynamoDb.ScanAsync(request, ct),
            attempt => log.Warn("Backfill scan throttled; backing off", new LogField("table", table), new LogField("attempt", attempt)),
            time, cancellationToken);
    }

    private sealed record SegmentState(Dictionary<string, AttributeValue>? StartKey, long ItemsScanned, long ItemsWritten, bool Done);

    private async Task<SegmentState> LoadAsync(string table, int segment, int totalSegments, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("""
            INSERT INTO cloudshelf_sync.backfill_segments (source_table, total_segments, segment) VALUES ($1, $2, $3)
            ON CONFLICT (source_table, total_segments, segment) DO UPDATE SET updated_at = now()
            RETURNING exclusive_start_key::text, items_scanned, items_written, completed_at IS NOT NULL
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = table });
        command.Parameters.Add(new NpgsqlParameter { Value = totalSegments });
        command.Parameters.Add(new NpgsqlParameter { Value = segment });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        return new SegmentState(
            reader.IsDBNull(0) ? null : DynamoJson.ParseItem(reader.GetString(0)),
            reader.GetInt64(1), reader.GetInt64(2), reader.GetBoolean(3));
    }

    private async Task SaveAsync(string table, int segment, int totalSegments, SegmentState state, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("""
            UPDATE cloudshelf_sync.backfill_segments
            SET exclusive_start_key = $4::jsonb, pages = pages + 1, items_scanned = $5, items_written = $6, updated_at = now(),
                completed_at = CASE WHEN $7 THEN now() END
            WHERE source_table = $1 AND total_segments = $2 AND segment = $3
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = table });
        command.Parameters.Add(new NpgsqlParameter { Value = totalSegments });
        command.Parameters.Add(new NpgsqlParameter { Value = segment });
        command.Parameters.Add(new NpgsqlParameter { Value = state.StartKey is null ? DBNull.Value : DynamoJson.SerializeItem(state.StartKey), NpgsqlDbType = NpgsqlDbType.Text });
        command.Parameters.Add(new NpgsqlParameter { Value = state.ItemsScanned });
        command.Parameters.Add(new NpgsqlParameter { Value = state.ItemsWritten });
        command.Parameters.Add(new NpgsqlParameter { Value = state.Done });
        await command.ExecuteNonQueryAsync(cancellationToken);
    }
}
