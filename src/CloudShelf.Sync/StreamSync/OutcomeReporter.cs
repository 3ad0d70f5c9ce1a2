using CloudShelf.Sync.Mapping;
using CloudShelf.Sync.Observability;

namespace CloudShelf.Sync.StreamSync;

/// <summary>Reports a processed batch: the outcome metrics per table and service-wide, and its logs.</summary>
internal sealed class OutcomeReporter(SyncMapping mapping, ILog log, IMetrics metrics)
{
    /// <summary>Emits the batch's metrics and logs; returns its counts per table (for the batch statistics).</summary>
    public List<TableBatchCounts> Report(BatchResult result, List<Change> changes, TimeSpan elapsed)
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
        var tables = new List<TableBatchCounts>(perTable.Count - 1);
        foreach (var (table, counts) in perTable)
        {
            var dimension = table.Length == 0 ? null : table;
            if (dimension is not null)
                tables.Add(new TableBatchCounts(table, counts[(int)RecordOutcome.Applied] + counts[(int)RecordOutcome.Superseded],
                    counts[(int)RecordOutcome.Skipped], counts[(int)RecordOutcome.Quarantined], counts[(int)RecordOutcome.Failed]));
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
            // The reason names constraints, columns and SQLSTATEs, never values (PostgresErrors.Describe).
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
        return tables;
    }
}
