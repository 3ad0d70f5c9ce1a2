using CloudShelf.Sync.Mapping;
using CloudShelf.Sync.Observability;
using CloudShelf.Sync.Postgres;
using CloudShelf.Sync.Streams;

namespace CloudShelf.Sync.StreamSync;

/// <summary>
/// Turns stream records into changes and applies them: classify and map
/// (<see cref="RecordClassifier"/>), read missing images (<see cref="ImageResolver"/>), collapse to
/// the newest change per item, write (the writer orders, retries lost races and isolates refused
/// records), report (<see cref="OutcomeReporter"/>) and record the batch's counts per table
/// (<see cref="IBatchStatistics"/>, for the error rate). Every record leaves either committed,
/// quarantined with its payload, or failed so that Lambda delivers it again.
/// </summary>
public sealed class StreamBatchProcessor(
    SyncMapping mapping,
    IChangeWriter writer,
    IItemReader itemReader,
    ILog log,
    IMetrics metrics,
    TimeProvider time,
    Action<Exception>? onDatabaseFailure = null,
    IBatchStatistics? statistics = null)
{
    private readonly RecordClassifier _classifier = new(mapping);

    /// <summary>The table mapping the records are processed with.</summary>
    public SyncMapping Mapping => mapping;
    private readonly ImageResolver _images = new(itemReader, log, time);
    private readonly OutcomeReporter _reporter = new(mapping, log, metrics);

    /// <summary>Processes one batch from the stream. Never throws for a database failure: those records come back as failed.</summary>
    public Task<BatchResult> ProcessAsync(IReadOnlyList<SourceRecord> records, CancellationToken cancellationToken) =>
        ProcessAsync(records, fromStream: true, cancellationToken);

    /// <summary>
    /// Processes quarantined records again. Not recorded in the batch statistics: the records counted
    /// when the stream delivered them, and the error rate is of deliveries, not of replays.
    /// </summary>
    public Task<BatchResult> ReplayAsync(IReadOnlyList<SourceRecord> records, CancellationToken cancellationToken) =>
        ProcessAsync(records, fromStream: false, cancellationToken);

    private async Task<BatchResult> ProcessAsync(IReadOnlyList<SourceRecord> records, bool fromStream, CancellationToken cancellationToken)
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
            var candidate = _classifier.Classify(records[i], quarantine, out var skipped);
            if (skipped) outcomes[i] = RecordOutcome.Skipped;
            else if (candidate is not null) candidates.Add(candidate);
        }

        var failedReads = await _images.ResolveAsync(candidates, quarantine, outcomes, index, cancellationToken);
        var changes = RecordClassifier.Collapse(candidates.Where(c => c.Kind == ChangeKind.Delete || c.Row is not null));

        WriteResult? written = null;
        try
        {
            written = await writer.WriteAsync(changes, quarantine, cancellationToken);
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

        var result = new BatchResult { Records = records, Outcomes = outcomes, Quarantined = written?.Quarantined ?? [], Won = written?.Won ?? new HashSet<Change>() };
        var counts = _reporter.Report(result, changes, time.GetElapsedTime(started));
        // After the outcomes are settled, so that failed records (whose transaction never committed) count too.
        if (fromStream && statistics is not null && counts.Count > 0) await statistics.RecordAsync(counts, cancellationToken);
        return result;
    }

    /// <summary>DynamoDB's own TTL deletions carry its service principal.</summary>
    public static bool IsTtlDelete(DynamoDBStreamRecord record) =>
        record.UserIdentity is { Type: "Service", PrincipalId: "dynamodb.amazonaws.com" };
}
