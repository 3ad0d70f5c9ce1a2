using System.Diagnostics;
using Amazon.DynamoDBv2;
using Amazon.DynamoDBv2.Model;
using CloudShelf.Sync.Dynamo;
using CloudShelf.Sync.Mapping;
using CloudShelf.Sync.Observability;
using AttributeValue = CloudShelf.Sync.Streams.AttributeValue;
using SdkValue = Amazon.DynamoDBv2.Model.AttributeValue;

namespace CloudShelf.Sync.Drift;

/// <summary>
/// Compares every DynamoDB item with its row and order lines, key by key, and records what differs.
/// <list type="bullet">
/// <item><b>Full mode</b> works through a pass per table: a parallel Scan by segments, each page
/// compared with the rows of its keys (one PostgreSQL round trip per page) and checkpointed, then the
/// rows the scan never saw (an anti-join in PostgreSQL against the keys the pass recorded), probed with
/// BatchGetItem: those DynamoDB lacks are extra. A time budget ends a run between pages; the next run
/// continues the pass. Memory holds a page per segment, whatever the table size. Runs that overlap on
/// a pass share it: each segment, and the extras phase, is worked by the run holding its
/// <see cref="DriftLock"/>, and a run skips what another holds.</item>
/// <item><b>Sampled mode</b> compares a random fraction of the segments, and a Bernoulli sample of the
/// rows probed with BatchGetItem for extras.</item>
/// <item>Every difference is re-read on both sides after a short delay (consistent read, and the row's
/// <c>sync_sequence</c>); if either moved, or <see cref="IPendingChanges"/> knows a change not yet
/// applied, it is in flight: recorded as such and not counted.</item>
/// <item>With repair, confirmed drift is re-applied through <see cref="DriftRepairer"/>'s guards.</item>
/// </list>
/// Logs and findings carry keys and attribute names, never values.
/// </summary>
public sealed class DriftDetector
{
    /// <summary>Findings kept per table in a report (all of them are in the findings table).</summary>
    public const int MaxReportedFindings = 100;

    private const int BatchGetLimit = 100;

    private readonly IAmazonDynamoDB _dynamoDb;
    private readonly SyncMapping _mapping;
    private readonly DriftStore _store;
    private readonly StoredRowReader _rows;
    private readonly DriftRepairer _repairer;
    private readonly ILog _log;
    private readonly IMetrics _metrics;
    private readonly TimeProvider _time;
    private readonly IPendingChanges? _pending;
    private readonly Func<double, IReadCapacityLimiter> _limiter;

    /// <summary>Builds the detector.</summary>
    /// <param name="dynamoDb">The DynamoDB client.</param>
    /// <param name="dataSource">The PostgreSQL data source.</param>
    /// <param name="mapping">The table mapping.</param>
    /// <param name="repairer">Applies repairs.</param>
    /// <param name="log">The log.</param>
    /// <param name="metrics">Receives <c>DataDriftCount</c> per table.</param>
    /// <param name="time">The clock (budget, recheck delay).</param>
    /// <param name="pendingChanges">Knows stream changes not yet applied (the stream audit); optional.</param>
    /// <param name="limiter">Builds the read-capacity limiter of a run from its rate; the backfill's throttle by default.</param>
    public DriftDetector(IAmazonDynamoDB dynamoDb, Npgsql.NpgsqlDataSource dataSource, SyncMapping mapping, DriftRepairer repairer,
        ILog log, IMetrics metrics, TimeProvider time, IPendingChanges? pendingChanges = null, Func<double, IReadCapacityLimiter>? limiter = null)
    {
        _dynamoDb = dynamoDb ?? throw new ArgumentNullException(nameof(dynamoDb));
        _mapping = mapping ?? throw new ArgumentNullException(nameof(mapping));
        _store = new DriftStore(dataSource);
        _rows = new StoredRowReader(dataSource, mapping);
        _repairer = repairer ?? throw new ArgumentNullException(nameof(repairer));
        _log = log ?? throw new ArgumentNullException(nameof(log));
        _metrics = metrics ?? throw new ArgumentNullException(nameof(metrics));
        _time = time ?? throw new ArgumentNullException(nameof(time));
        _pending = pendingChanges;
        _limiter = limiter ?? (rate => new BackfillCapacityLimiter(rate, time));
    }

    /// <summary>The bookkeeping (runs, passes, findings).</summary>
    public DriftStore Store => _store;

    /// <summary>Resolves table names (PostgreSQL or DynamoDB) to mappings; every table when none are given.</summary>
    /// <exception cref="ArgumentException">A name is not a synced table.</exception>
    public IReadOnlyList<TableMapping> ResolveTables(IReadOnlyList<string>? names)
    {
        if (names is null || names.Count == 0) return _mapping.Tables;
        return names.Select(n => _mapping.ForTable(n) ?? _mapping.ForSourceTable(n)
                ?? throw new ArgumentException($"'{n}' is not a synced table ({string.Join(", ", _mapping.Tables.Select(t => t.Table))})."))
            .Distinct().OrderBy(t => t.Table, StringComparer.Ordinal).ToList();
    }

    /// <summary>Runs one comparison (a part of a pass in full mode, until the budget) and records it.</summary>
    public async Task<DriftReport> RunAsync(DriftOptions options, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        var tables = ResolveTables(options.Tables);
        var mode = options.SampleFraction is null ? "full" : "sample";
        var runId = await _store.StartRunAsync(mode, options.SampleFraction, options.Repair, cancellationToken);
        var run = new RunContext(runId, options, _time.GetTimestamp(),
            options.ReadUnitsPerSecond is { } rate ? _limiter(rate) : null);
        _log.Info("Drift run started", new LogField("run_id", runId), new LogField("mode", mode), new LogField("repair", options.Repair),
            new LogField("tables", string.Join(",", tables.Select(t => t.Table))));
        var reports = new List<DriftTableReport>();
        try
        {
            foreach (var table in tables)
            {
                var report = new DriftTableReport { Table = table.Table };
                var context = new TableContext(run, table, report,
                    await _store.OpenFindingsAsync(table.Table, false, cancellationToken) + await _store.OpenFindingsAsync(table.Table, true, cancellationToken) > 0);
                if (options.SampleFraction is { } fraction) await SampleTableAsync(context, fraction, cancellationToken);
                else await FullTableAsync(context, cancellationToken);
                report.OpenDrift = await _store.OpenFindingsAsync(table.Table, false, cancellationToken);
                await _store.RecordRunTableAsync(runId, report, cancellationToken);
                _metrics.Add(MetricNames.DataDriftCount, report.OpenDrift, MetricUnit.Count, table.Table);
                _log.Info("Drift compared", new LogField("run_id", runId), new LogField("table", table.Table),
                    new LogField("items_compared", report.ItemsCompared), new LogField("missing", report.Missing), new LogField("extra", report.Extra),
                    new LogField("changed", report.Changed), new LogField("in_flight", report.InFlight), new LogField("repaired", report.Repaired),
                    new LogField("coverage", report.Coverage), new LogField("full_coverage", report.FullCoverage), new LogField("open_drift", report.OpenDrift));
                reports.Add(report);
            }
        }
        catch (Exception e)
        {
            await _store.FinishRunAsync(runId, e.GetType().Name + ": " + e.Message, CancellationToken.None);
            throw;
        }
        await _store.FinishRunAsync(runId, null, cancellationToken);
        return new DriftReport(runId, mode, reports);
    }

    private sealed record RunContext(long RunId, DriftOptions Options, long Started, IReadCapacityLimiter? Limiter);

    private sealed class TableContext(RunContext run, TableMapping table, DriftTableReport report, bool hadOpenFindings)
    {
        public RunContext Run { get; } = run;
        public TableMapping Table { get; } = table;
        public DriftTableReport Report { get; } = report;
        public bool HadOpenFindings { get; } = hadOpenFindings;
        public Lock Gate { get; } = new();
    }

    private bool BudgetSpent(RunContext run) =>
        run.Options.TimeBudget is { } budget && _time.GetElapsedTime(run.Started) >= budget;

    // ---------------------------------------------------------------------------------------------
    // Full mode
    // ---------------------------------------------------------------------------------------------

    private async Task FullTableAsync(TableContext context, CancellationToken cancellationToken)
    {
        var pass = await _store.OpenPassAsync(context.Table.Table, context.Run.Options.Segments, cancellationToken);
        context.Report.PassId = pass.PassId;
        var todo = pass.Segments.Where(s => !s.Value.Done).Select(s => s.Key).Order().ToList();
        await Parallel.ForEachAsync(todo,
            new ParallelOptions { MaxDegreeOfParallelism = context.Run.Options.Parallelism, CancellationToken = cancellationToken },
            async (segment, ct) =>
            {
                // Another run on the same pass (a schedule overlapping an operator's run) may hold the
                // segment: it is that run's. Its checkpoint is read again under the lock, since the
                // other run may have moved it, or finished the segment, since the pass was opened.
                await using var held = await _store.TryLockAsync(DriftLock.Segment(pass.PassId, segment), ct);
                if (held is null) return;
                var (startKey, done) = await _store.SegmentStateAsync(pass.PassId, segment, ct);
                if (!done) await ScanSegmentAsync(context, segment, pass.TotalSegments, startKey, pass.PassId, checkpoint: true, ct);
            });

        var state = await _store.PassStateAsync(pass.PassId, cancellationToken);
        var extrasDone = state.ExtrasDone || state.Completed;
        // Extras need every segment's keys: only a run that sees them all done looks, and only one at a time.
        if (state.SegmentsDone == pass.TotalSegments && !state.Completed)
        {
            await using var held = await _store.TryLockAsync(DriftLock.Extras(pass.PassId), cancellationToken);
            if (held is not null)
            {
                state = await _store.PassStateAsync(pass.PassId, cancellationToken);
                extrasDone = state.ExtrasDone || state.Completed
                             || await FindExtrasAsync(context, pass with { ExtrasAfterKey = state.ExtrasAfterKey }, cancellationToken);
                if (extrasDone && !state.Completed)
                {
                    await _store.CompletePassAsync(context.Table, pass.PassId, cancellationToken);
                    context.Report.FullCoverage = true;
                }
            }
        }
        // The extras phase counts as one more segment's worth of the pass.
        context.Report.Coverage = (state.SegmentsDone + (extrasDone ? 1 : 0)) / (double)(pass.TotalSegments + 1);
        await _store.AddPassDriftAsync(pass.PassId, context.Report.Drift, cancellationToken);
    }

    /// <summary>Scans a segment page by page, comparing each; true when the segment reached its end.</summary>
    private async Task<bool> ScanSegmentAsync(TableContext context, int segment, int totalSegments,
        Dictionary<string, AttributeValue>? startKey, long? passId, bool checkpoint, CancellationToken cancellationToken)
    {
        var pageSize = context.Run.Options.PageSize;
        // The next page is fetched while this one is compared: DynamoDB and PostgreSQL work side by side.
        var fetch = ScanAsync(context.Table, segment, totalSegments, startKey, pageSize, cancellationToken);
        // A page's checkpoint travels with the next page's rows, in the same round trip and transaction,
        // so it is still saved only once the page is compared and its findings recorded; a page that
        // ends the segment or the run saves its own. A run that dies in between compares the page again.
        Npgsql.NpgsqlBatchCommand? pendingCheckpoint = null;
        while (true)
        {
            var page = await fetch;
            var next = page.LastEvaluatedKey is { Count: > 0 } last ? SdkValues.FromSdkItem(last) : null;
            var goOn = next is not null && !BudgetSpent(context.Run) && !cancellationToken.IsCancellationRequested;
            if (goOn) fetch = ScanAsync(context.Table, segment, totalSegments, next, pageSize, cancellationToken);
            var items = new List<Dictionary<string, AttributeValue>>(page.Items.Count);
            foreach (var item in page.Items) items.Add(SdkValues.FromSdkItem(item));
            var compared = await ComparePageAsync(context, items, passId, pendingCheckpoint, cancellationToken);
            pendingCheckpoint = checkpoint && passId is { } id ? DriftStore.SegmentCheckpoint(id, segment, next, compared) : null;
            if (context.Run.Limiter is { } limiter)
                await limiter.WaitAsync(page.ConsumedCapacity?.CapacityUnits ?? page.Items.Count * 0.5, cancellationToken);
            if (next is null || !goOn)
            {
                // The last page of the segment or of this run: nothing comes after it to carry its
                // checkpoint. When the run stops early a prefetch was never started; nothing is left running.
                if (pendingCheckpoint is not null && passId is { } pass)
                    await _store.SaveSegmentAsync(pass, segment, next, compared, CancellationToken.None);
                return next is null;
            }
        }
    }

    private async Task<bool> FindExtrasAsync(TableContext context, DriftPass pass, CancellationToken cancellationToken)
    {
        var after = pass.ExtrasAfterKey;
        var first = true;
        while (first || (!BudgetSpent(context.Run) && !cancellationToken.IsCancellationRequested))
        {
            first = false;
            var (unseen, last) = await _store.UnseenRowsAsync(context.Table, pass.PassId, after, context.Run.Options.PageSize * 20, cancellationToken);
            var compared = 0;
            foreach (var chunk in unseen.Chunk(BatchGetLimit))
                compared += await ProbeRowsAsync(context, chunk, cancellationToken);
            await _store.SaveExtrasAsync(pass.PassId, last ?? after, last is null, compared, CancellationToken.None);
            if (last is null) return true;
            after = last;
        }
        return false;
    }

    // ---------------------------------------------------------------------------------------------
    // Sampled mode
    // ---------------------------------------------------------------------------------------------

    private async Task SampleTableAsync(TableContext context, double fraction, CancellationToken cancellationToken)
    {
        var total = context.Run.Options.Segments;
        var count = Math.Clamp((int)Math.Ceiling(fraction * total), 1, total);
        var chosen = Enumerable.Range(0, total).OrderBy(_ => Random.Shared.Next()).Take(count).ToList();
        var done = 0;
        await Parallel.ForEachAsync(chosen,
            new ParallelOptions { MaxDegreeOfParallelism = context.Run.Options.Parallelism, CancellationToken = cancellationToken },
            async (segment, ct) =>
            {
                if (await ScanSegmentAsync(context, segment, total, null, null, checkpoint: false, ct)) Interlocked.Increment(ref done);
            });
        context.Report.Coverage = done / (double)total;

        // Extras: a sample of the rows, probed in DynamoDB.
        var seed = Random.Shared.Next();
        var after = "";
        while (!BudgetSpent(context.Run) && !cancellationToken.IsCancellationRequested)
        {
            var rows = await _store.SampleRowsAsync(context.Table, fraction, seed, after, BatchGetLimit, cancellationToken);
            if (rows.Count == 0) break;
            await ProbeRowsAsync(context, rows, cancellationToken);
            after = rows[^1].Key;
        }
    }

    // ---------------------------------------------------------------------------------------------
    // Comparison
    // ---------------------------------------------------------------------------------------------

    /// <summary>A difference as first seen: the item as read (null when DynamoDB lacks it) and the row's sequence number (null when PostgreSQL lacks it).</summary>
    private sealed record Candidate(string Key, Dictionary<string, AttributeValue>? Item, string? Sequence);

    /// <summary>Compares DynamoDB items with their rows; returns how many were compared.</summary>
    /// <param name="context">The table's run.</param>
    /// <param name="items">The items.</param>
    /// <param name="seenByPass">The pass whose scan read the items (their keys are recorded as seen), if any.</param>
    /// <param name="checkpoint">The previous page's checkpoint, saved in the same round trip as the rows' read.</param>
    /// <param name="cancellationToken">Cancels the comparison.</param>
    private async Task<int> ComparePageAsync(TableContext context, List<Dictionary<string, AttributeValue>> items, long? seenByPass,
        Npgsql.NpgsqlBatchCommand? checkpoint, CancellationToken cancellationToken)
    {
        var table = context.Table;
        var mapped = new List<(MappedRow Row, Dictionary<string, AttributeValue> Item)>(items.Count);
        foreach (var item in items)
        {
            try
            {
                mapped.Add((ItemMapper.Map(table, item), item));
            }
            catch (UnmappableRecordException e)
            {
                // The scan returned it, so the key is there; an item without a usable key never has a row.
                _log.Warn("Drift: item cannot be mapped", new LogField("table", table.Table), new LogField("reason", e.Message));
            }
        }
        var keys = mapped.Select(m => m.Row.Key).ToArray();
        var stored = await _rows.ReadAsync(table, keys, seenByPass, checkpoint, cancellationToken);
        var candidates = new List<Candidate>();
        var equal = context.HadOpenFindings ? new List<string>() : null;
        foreach (var (row, item) in mapped)
        {
            if (!stored.TryGetValue(row.Key, out var actual)) candidates.Add(new Candidate(row.Key, item, null));
            else if (RowComparer.Differences(table, row, actual).Count > 0) candidates.Add(new Candidate(row.Key, item, actual.SyncSequence));
            else equal?.Add(row.Key);
        }
        if (equal is { Count: > 0 }) await _store.ResolveEqualAsync(table, equal, cancellationToken);
        lock (context.Gate) context.Report.ItemsCompared += mapped.Count;
        if (candidates.Count > 0) await RecheckAsync(context, candidates, cancellationToken);
        return mapped.Count;
    }

    /// <summary>Rows the scan did not see: those DynamoDB has are compared, the others are extra candidates.</summary>
    private async Task<int> ProbeRowsAsync(TableContext context, IReadOnlyCollection<(string Key, string Sequence)> rows, CancellationToken cancellationToken)
    {
        if (rows.Count == 0) return 0;
        var items = await GetItemsAsync(context, rows.Select(r => r.Key).ToList(), cancellationToken);
        var found = rows.Where(r => items.ContainsKey(r.Key)).Select(r => items[r.Key]).ToList();
        var extras = rows.Where(r => !items.ContainsKey(r.Key)).Select(r => new Candidate(r.Key, null, r.Sequence)).ToList();
        var compared = found.Count > 0 ? await ComparePageAsync(context, found, null, null, cancellationToken) : 0;
        lock (context.Gate) context.Report.ItemsCompared += extras.Count;
        if (extras.Count > 0) await RecheckAsync(context, extras, cancellationToken);
        return compared + extras.Count;
    }

    /// <summary>
    /// Re-reads both sides of each difference after a short delay. A key whose item or row moved in
    /// between (or that has a pending stream change) is in flight; the others are drift, repaired on request.
    /// </summary>
    private async Task RecheckAsync(TableContext context, List<Candidate> candidates, CancellationToken cancellationToken)
    {
        var table = context.Table;
        if (context.Run.Options.RecheckDelay > TimeSpan.Zero)
            await Task.Delay(context.Run.Options.RecheckDelay, _time, cancellationToken);
        var keys = candidates.Select(c => c.Key).ToList();
        var items = await GetItemsAsync(context, keys, cancellationToken);
        var rows = await _rows.ReadAsync(table, keys.ToArray(), null, null, cancellationToken);
        // Asked after the re-read: a change still unapplied now may land at any moment.
        var pending = _pending is null ? null : await _pending.PendingAsync(table, keys, cancellationToken);

        var findings = new List<DriftFinding>();
        foreach (var candidate in candidates)
        {
            var item = items.GetValueOrDefault(candidate.Key);
            var row = rows.GetValueOrDefault(candidate.Key);
            var moved = pending?.Contains(candidate.Key) == true
                        || !SameItem(candidate.Item, item)
                        || !string.Equals(candidate.Sequence, row?.SyncSequence, StringComparison.Ordinal);
            var (kind, attributes) = Classify(table, item, row);
            if (kind is null)
            {
                if (moved) lock (context.Gate) context.Report.InFlight++;
                continue;
            }
            var repaired = false;
            if (!moved && context.Run.Options.Repair)
            {
                try
                {
                    repaired = kind switch
                    {
                        DriftKind.Missing => await _repairer.InsertMissingAsync(table, item!, cancellationToken),
                        DriftKind.Extra => await _repairer.RemoveExtraAsync(table, candidate.Key, row!.SyncSequence, cancellationToken),
                        _ => await _repairer.RewriteChangedAsync(table, item!, row!.SyncSequence, cancellationToken),
                    };
                    // A repair that lost its compare-and-set met a change newer than its read: in flight.
                    // A missing row the merge did not insert, with still no row, was kept out by a
                    // tombstone: that stays drift for an operator to look at.
                    moved = !repaired && (kind != DriftKind.Missing
                                          || (await _rows.ReadAsync(table, [candidate.Key], null, null, cancellationToken)).Count > 0);
                }
                catch (Npgsql.PostgresException e) when (Postgres.PostgresErrors.IsRecordFault(e))
                {
                    // PostgreSQL refuses DynamoDB's state (a duplicate e-mail): it stays drift, and the
                    // rest of the run goes on. The message names the constraint, never the values.
                    _log.Warn("Drift repair refused", new LogField("table", table.Table), new LogField("key", candidate.Key),
                        new LogField("error_code", e.SqlState), new LogField("constraint", e.ConstraintName));
                }
            }
            var finding = new DriftFinding(table.Table, candidate.Key, kind.Value, attributes, moved, repaired);
            findings.Add(finding);
            lock (context.Gate)
            {
                if (moved) context.Report.InFlight++;
                else if (kind == DriftKind.Missing) context.Report.Missing++;
                else if (kind == DriftKind.Extra) context.Report.Extra++;
                else context.Report.Changed++;
                if (repaired) context.Report.Repaired++;
                if (context.Report.Findings.Count < MaxReportedFindings) context.Report.Findings.Add(finding);
            }
            _log.Write(moved ? LogLevel.Information : LogLevel.Warning, moved ? "Drift in flight" : "Drift found", null,
                new LogField("table", table.Table), new LogField("key", candidate.Key), new LogField("kind", DriftStore.KindName(kind.Value)),
                new LogField("attributes", string.Join(",", attributes)), new LogField("repaired", repaired));
        }
        await _store.RecordFindingsAsync(context.Run.RunId, findings, cancellationToken);
    }

    private static (DriftKind? Kind, IReadOnlyList<string> Attributes) Classify(TableMapping table, Dictionary<string, AttributeValue>? item, StoredRow? row)
    {
        if (item is null) return (row is null ? null : DriftKind.Extra, []);
        MappedRow mapped;
        try
        {
            mapped = ItemMapper.Map(table, item);
        }
        catch (UnmappableRecordException)
        {
            return (null, []);
        }
        if (row is null) return (DriftKind.Missing, []);
        var differences = RowComparer.Differences(table, mapped, row);
        return differences.Count == 0 ? (null, []) : (DriftKind.Changed, differences);
    }

    private static bool SameItem(Dictionary<string, AttributeValue>? a, Dictionary<string, AttributeValue>? b) =>
        a is null || b is null ? a is null && b is null : Streams.ItemEquality.Equal(a, b);

    // ---------------------------------------------------------------------------------------------
    // DynamoDB reads
    // ---------------------------------------------------------------------------------------------

    private async Task<ScanResponse> ScanAsync(TableMapping table, int segment, int totalSegments,
        Dictionary<string, AttributeValue>? startKey, int pageSize, CancellationToken cancellationToken)
    {
        var request = new ScanRequest
        {
            TableName = table.SourceTable,
            Segment = segment,
            TotalSegments = totalSegments,
            Limit = pageSize,
            ExclusiveStartKey = startKey?.ToDictionary(k => k.Key, k => SdkValues.ToSdk(k.Value)),
            ReturnConsumedCapacity = ReturnConsumedCapacity.TOTAL,
        };
        return await WithRetriesAsync(table, ct => _dynamoDb.ScanAsync(request, ct), cancellationToken);
    }

    /// <summary>The current items of the keys (strongly consistent), by key; absent keys are absent.</summary>
    private async Task<Dictionary<string, Dictionary<string, AttributeValue>>> GetItemsAsync(
        TableContext context, IReadOnlyList<string> keys, CancellationToken cancellationToken)
    {
        var table = context.Table;
        var result = new Dictionary<string, Dictionary<string, AttributeValue>>(keys.Count, StringComparer.Ordinal);
        foreach (var chunk in keys.Distinct(StringComparer.Ordinal).Chunk(BatchGetLimit))
        {
            var request = new Dictionary<string, KeysAndAttributes>
            {
                [table.SourceTable] = new()
                {
                    Keys = chunk.Select(k => new Dictionary<string, SdkValue> { [table.KeyAttribute] = new() { S = k } }).ToList(),
                    // A scan page may be older than the item's state; the re-read must not be.
                    ConsistentRead = true,
                },
            };
            for (var attempt = 1; request.Count > 0; attempt++)
            {
                var pending = request;
                var response = await WithRetriesAsync(table,
                    ct => _dynamoDb.BatchGetItemAsync(new BatchGetItemRequest { RequestItems = pending, ReturnConsumedCapacity = ReturnConsumedCapacity.TOTAL }, ct),
                    cancellationToken);
                if (response.Responses?.GetValueOrDefault(table.SourceTable) is { } found)
                {
                    foreach (var sdkItem in found)
                    {
                        var item = SdkValues.FromSdkItem(sdkItem);
                        if (item.TryGetValue(table.KeyAttribute, out var key) && key.S is { } k) result[k] = item;
                    }
                }
                if (context.Run.Limiter is { } limiter)
                    await limiter.WaitAsync(response.ConsumedCapacity?.Sum(c => c.CapacityUnits ?? 0) ?? chunk.Length, cancellationToken);
                request = response.UnprocessedKeys is { Count: > 0 } unprocessed ? unprocessed : [];
                // Unprocessed keys mean throttling: back off before asking again.
                if (request.Count > 0) await Task.Delay(TimeSpan.FromMilliseconds(50 * (1 << Math.Min(attempt, 6))), _time, cancellationToken);
            }
        }
        return result;
    }

    private Task<T> WithRetriesAsync<T>(TableMapping table, Func<CancellationToken, Task<T>> call, CancellationToken cancellationToken) =>
        DynamoDbCalls.WithThrottlingRetriesAsync(
            call,
            attempt => _log.Warn("Drift read throttled; backing off", new LogField("table", table.SourceTable), new LogField("attempt", attempt)),
            _time, cancellationToken);
}
