using System.Diagnostics;
using CloudShelf.Sync.Mapping;
using CloudShelf.Sync.Observability;
using CloudShelf.Sync.Postgres;
using CloudShelf.Sync.Streams;

namespace CloudShelf.Sync.StreamSync;

/// <summary>What became of one record.</summary>
public enum RecordOutcome
{
    /// <summary>Committed as its item's newest state.</summary>
    Applied,
    /// <summary>Committed, but a newer change of the item was already there (or later in the batch): no effect.</summary>
    Superseded,
    /// <summary>Nothing to do: its table is not synced, or the item it points to no longer exists.</summary>
    Skipped,
    /// <summary>Set aside in the quarantine table with its reason.</summary>
    Quarantined,
    /// <summary>Not applied; Lambda must deliver it again.</summary>
    Failed,
}

/// <summary>The outcome of every record of a batch, in batch order.</summary>
public sealed class BatchResult
{
    /// <summary>The records, in the order given.</summary>
    public required IReadOnlyList<SourceRecord> Records { get; init; }

    /// <summary>The outcome of each record, by position.</summary>
    public required IReadOnlyList<RecordOutcome> Outcomes { get; init; }

    /// <summary>The quarantine entries written.</summary>
    public required IReadOnlyList<QuarantineEntry> Quarantined { get; init; }

    /// <summary>The partial batch response for Lambda: the failed records by sequence number.</summary>
    public StreamsEventResponse ToResponse()
    {
        var response = new StreamsEventResponse();
        for (var i = 0; i < Records.Count; i++)
        {
            if (Outcomes[i] == RecordOutcome.Failed)
                // An empty identifier fails the whole batch, the safe answer for a record without a sequence number.
                response.BatchItemFailures.Add(new BatchItemFailure { ItemIdentifier = Records[i].SequenceNumber ?? "" });
        }
        return response;
    }

    /// <summary>How many records had the outcome.</summary>
    public int Count(RecordOutcome outcome) => Outcomes.Count(o => o == outcome);
}

/// <summary>
/// Turns stream records into changes and applies them: classify, fetch missing images, map,
/// collapse to the newest change per item, write in one transaction. Every record leaves either
/// committed, quarantined with its payload, or failed so that Lambda delivers it again.
/// </summary>
public sealed class StreamBatchProcessor(
    SyncMapping mapping,
    IChangeWriter writer,
    IItemReader itemReader,
    ILog log,
    IMetrics metrics,
    TimeProvider time,
    Action<Exception>? onDatabaseFailure = null)
{
    private const int MaxConflictAttempts = 3;

    /// <summary>Processes one batch. Never throws for a database failure: those records come back as failed.</summary>
    public async Task<BatchResult> ProcessAsync(IReadOnlyList<SourceRecord> records, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(records);
        var started = time.GetTimestamp();
        var outcomes = new RecordOutcome[records.Count];
        var quarantine = new List<QuarantineEntry>();
        var candidates = new List<Candidate>();
        var index = new Dictionary<SourceRecord, int>(ReferenceEqualityComparer.Instance);

        for (var i = 0; i < records.Count; i++)
        {
            index[records[i]] = i;
            outcomes[i] = RecordOutcome.Failed;
            var candidate = Classify(records[i], quarantine, out var skipped);
            if (skipped) outcomes[i] = RecordOutcome.Skipped;
            else if (candidate is not null) candidates.Add(candidate);
        }

        var failedReads = await ResolveImagesAsync(candidates, quarantine, outcomes, index, cancellationToken);
        var changes = Collapse(candidates.Where(c => c.Kind == ChangeKind.Delete || c.Row is not null));

        WriteResult? written = null;
        try
        {
            written = await WriteWithRetryAsync(changes, quarantine, cancellationToken);
        }
        catch (Exception e) when (PostgresErrors.IsTransient(e) || (e is OperationCanceledException && cancellationToken.IsCancellationRequested))
        {
            // E.g. a refused password: the credentials are read again for the next connection.
            onDatabaseFailure?.Invoke(e);
            log.Error(e, "Batch not applied; its records are reported failed for redelivery",
                new LogField("records", records.Count), new LogField("changes", changes.Count));
        }

        if (written is not null)
        {
            foreach (var change in written.Committed)
            {
                var won = written.Won.Contains(change);
                foreach (var record in change.Records)
                    outcomes[index[record]] = won && ReferenceEquals(record, change.Records[^1]) ? RecordOutcome.Applied : RecordOutcome.Superseded;
            }
            foreach (var entry in written.Quarantined)
                outcomes[index[entry.Source]] = RecordOutcome.Quarantined;
        }
        foreach (var i in failedReads) outcomes[i] = RecordOutcome.Failed;

        var result = new BatchResult { Records = records, Outcomes = outcomes, Quarantined = written?.Quarantined ?? [] };
        Report(result, changes, time.GetElapsedTime(started));
        return result;
    }

    private sealed class Candidate(SourceRecord source, TableMapping table, string key, string sequence, ChangeKind kind)
    {
        public SourceRecord Source { get; } = source;
        public TableMapping Table { get; } = table;
        public string Key { get; } = key;
        public string Sequence { get; } = sequence;
        public ChangeKind Kind { get; } = kind;
        public Dictionary<string, AttributeValue>? Image { get; set; }
        public MappedRow? Row { get; set; }
    }

    private Candidate? Classify(SourceRecord source, List<QuarantineEntry> quarantine, out bool skipped)
    {
        skipped = false;
        var record = source.Record;
        if (record.ReadError is not null)
        {
            quarantine.Add(new QuarantineEntry(source, null, null, $"Record could not be read: {record.ReadError}", "unreadable"));
            return null;
        }
        if (source.SourceTable is null)
        {
            quarantine.Add(new QuarantineEntry(source, null, null, $"eventSourceARN '{record.EventSourceArn}' names no DynamoDB table.", "unmappable"));
            return null;
        }
        var table = mapping.ForSourceTable(source.SourceTable);
        if (table is null)
        {
            skipped = true;
            return null;
        }

        var change = record.Dynamodb;
        if (!SequenceNumbers.IsValid(change?.SequenceNumber))
            return Reject(source, table, null, $"SequenceNumber '{change?.SequenceNumber}' is not a decimal number of 1 to {SequenceNumbers.MaxDigits} digits.", quarantine);
        var kind = record.EventName switch
        {
            "INSERT" or "MODIFY" => ChangeKind.Upsert,
            "REMOVE" => ChangeKind.Delete,
            _ => (ChangeKind?)null,
        };
        if (kind is null)
            return Reject(source, table, null, $"eventName '{record.EventName}' is not INSERT, MODIFY or REMOVE.", quarantine);

        string key;
        try
        {
            // Keys is always present in delivered records; the new image is a fallback for hand-made ones.
            key = ItemMapper.ReadKey(table, change!.Keys ?? change.NewImage);
        }
        catch (UnmappableRecordException e)
        {
            return Reject(source, table, null, e.Message, quarantine);
        }
        return new Candidate(source, table, key, change.SequenceNumber!, kind.Value) { Image = change.NewImage };
    }

    private static Candidate? Reject(SourceRecord source, TableMapping table, string? key, string reason, List<QuarantineEntry> quarantine)
    {
        quarantine.Add(new QuarantineEntry(source, table.Table, key, reason, "unmappable"));
        return null;
    }

    /// <summary>Reads the current item where the stream carried no new image, then maps every upsert.</summary>
    private async Task<List<int>> ResolveImagesAsync(
        List<Candidate> candidates, List<QuarantineEntry> quarantine, RecordOutcome[] outcomes,
        Dictionary<SourceRecord, int> index, CancellationToken cancellationToken)
    {
        var failed = new List<int>();
        foreach (var candidate in candidates)
        {
            if (candidate.Kind == ChangeKind.Delete) continue;
            if (candidate.Image is null)
            {
                try
                {
                    var key = candidate.Source.Record.Dynamodb!.Keys
                              ?? new Dictionary<string, AttributeValue> { [candidate.Table.KeyAttribute] = AttributeValue.FromS(candidate.Key) };
                    candidate.Image = await itemReader.GetItemAsync(candidate.Table.SourceTable, key, cancellationToken);
                }
                catch (Exception e)
                {
                    // Cancellation (the deadline) included: the record is not applied, so it is failed.
                    log.Warn("Could not read the current item for a record without a new image; it will be redelivered",
                        new LogField("table", candidate.Table.SourceTable), new LogField("key", candidate.Key),
                        new LogField("sequence_number", candidate.Sequence), new LogField("error", e.GetType().Name));
                    failed.Add(index[candidate.Source]);
                    continue;
                }
                if (candidate.Image is null)
                {
                    // Deleted since: the REMOVE later in the stream brings the row to the same end.
                    outcomes[index[candidate.Source]] = RecordOutcome.Skipped;
                    continue;
                }
            }

            try
            {
                candidate.Row = ItemMapper.Map(candidate.Table, candidate.Image);
                if (!string.Equals(candidate.Row.Key, candidate.Key, StringComparison.Ordinal))
                {
                    candidate.Row = null;
                    Reject(candidate.Source, candidate.Table, candidate.Key, "The new image's key differs from the record's Keys.", quarantine);
                }
            }
            catch (UnmappableRecordException e)
            {
                Reject(candidate.Source, candidate.Table, candidate.Key, e.Message, quarantine);
            }
        }
        return failed;
    }

    /// <summary>Folds the records of each item into its newest change; sorted by table, then key.</summary>
    private static List<Change> Collapse(IEnumerable<Candidate> candidates) =>
        candidates
            .GroupBy(c => (c.Table.Table, c.Key))
            .Select(group =>
            {
                var ordered = group.OrderBy(c => c.Sequence, SequenceNumbers.Comparer).ToList();
                var newest = ordered[^1];
                var dynamodb = newest.Source.Record.Dynamodb!;
                return new Change
                {
                    Table = newest.Table,
                    Key = newest.Key,
                    SequenceNumber = newest.Sequence,
                    Kind = newest.Kind,
                    TtlDelete = newest.Kind == ChangeKind.Delete && IsTtlDelete(newest.Source.Record),
                    ChangedAt = dynamodb.ApproximateCreationDateTime,
                    Row = newest.Row,
                    Records = ordered.Select(c => c.Source).ToList(),
                };
            })
            .OrderBy(c => c.Table.Table, StringComparer.Ordinal)
            .ThenBy(c => c.Key, StringComparer.Ordinal)
            .ToList();

    /// <summary>DynamoDB's own TTL deletions carry its service principal.</summary>
    public static bool IsTtlDelete(DynamoDBStreamRecord record) =>
        record.UserIdentity is { Type: "Service", PrincipalId: "dynamodb.amazonaws.com" };

    private async Task<WriteResult> WriteWithRetryAsync(List<Change> changes, List<QuarantineEntry> quarantine, CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await writer.WriteAsync(changes, quarantine, cancellationToken);
            }
            catch (Exception e) when (PostgresErrors.IsRetryableConflict(e) && attempt < MaxConflictAttempts)
            {
                log.Warn("Transaction lost a race; trying again", new LogField("attempt", attempt), new LogField("sql_state", (e as Npgsql.PostgresException)?.SqlState));
                await Task.Delay(TimeSpan.FromMilliseconds(20 * attempt * Random.Shared.Next(1, 4)), time, cancellationToken);
            }
        }
    }

    private void Report(BatchResult result, List<Change> changes, TimeSpan elapsed)
    {
        // Per table, and once more without a table so alarms can take the service-wide error rate.
        var perTable = new Dictionary<string, int[]>(StringComparer.Ordinal) { [""] = new int[5] };
        for (var i = 0; i < result.Records.Count; i++)
        {
            var source = result.Records[i];
            var table = (source.SourceTable is null ? null : mapping.ForSourceTable(source.SourceTable)?.Table) ?? source.SourceTable ?? "unknown";
            if (!perTable.TryGetValue(table, out var counts)) perTable[table] = counts = new int[5];
            counts[(int)result.Outcomes[i]]++;
            perTable[""][(int)result.Outcomes[i]]++;
        }
        foreach (var (table, counts) in perTable)
        {
            var dimension = table.Length == 0 ? null : table;
            metrics.Add(MetricNames.RecordsApplied, counts[(int)RecordOutcome.Applied] + counts[(int)RecordOutcome.Superseded], MetricUnit.Count, dimension);
            metrics.Add(MetricNames.RecordsSkipped, counts[(int)RecordOutcome.Skipped], MetricUnit.Count, dimension);
            metrics.Add(MetricNames.RecordsQuarantined, counts[(int)RecordOutcome.Quarantined], MetricUnit.Count, dimension);
            metrics.Add(MetricNames.RecordsFailed, counts[(int)RecordOutcome.Failed], MetricUnit.Count, dimension);
        }

        var committed = result.Outcomes.Any(o => o is RecordOutcome.Applied or RecordOutcome.Superseded);
        foreach (var change in changes)
        {
            if (!committed) break;
            if (change.TtlDelete) metrics.Add(MetricNames.TtlDeletes, 1, MetricUnit.Count, change.Table.Table);
            if (change.Row is { IllFitting.Count: > 0 } row)
            {
                metrics.Add(MetricNames.IllFittingValues, row.IllFitting.Count, MetricUnit.Count, change.Table.Table);
                // Names only: the values may be personal data.
                log.Warn("Values did not fit their columns; columns left NULL, originals kept in attributes",
                    new LogField("table", change.Table.Table), new LogField("key", change.Key),
                    new LogField("sequence_number", change.SequenceNumber), new LogField("attributes", row.IllFitting));
            }
        }
        foreach (var entry in result.Quarantined)
        {
            log.Warn("Record quarantined", new LogField("table", entry.TargetTable ?? entry.Source.SourceTable),
                new LogField("key", entry.Key), new LogField("sequence_number", entry.Source.SequenceNumber),
                new LogField("error_code", entry.ErrorCode), new LogField("reason", entry.Reason));
        }
        metrics.Add(MetricNames.BatchDurationMs, elapsed.TotalMilliseconds, MetricUnit.Milliseconds);
        log.Info("Batch processed",
            new LogField("records", result.Records.Count),
            new LogField("applied", result.Count(RecordOutcome.Applied)),
            new LogField("superseded", result.Count(RecordOutcome.Superseded)),
            new LogField("skipped", result.Count(RecordOutcome.Skipped)),
            new LogField("quarantined", result.Count(RecordOutcome.Quarantined)),
            new LogField("failed", result.Count(RecordOutcome.Failed)),
            new LogField("duration_ms", Math.Round(elapsed.TotalMilliseconds, 2)));
    }
}
