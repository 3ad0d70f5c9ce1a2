using System.Globalization;
using System.Net.Sockets;
using Amazon.DynamoDBv2;
using Amazon.DynamoDBv2.Model;
using Amazon.Runtime;
using CloudShelf.Sync.Configuration;
using CloudShelf.Sync.Lag;
using CloudShelf.Sync.Mapping;
using CloudShelf.Sync.Postgres;
using CloudShelf.Sync.StreamReading;
using Npgsql;

namespace CloudShelf.Sync.Cutover;

/// <summary>
/// The migration guide's pre-cut-over validation as one run: connectivity (PostgreSQL, DynamoDB, the
/// streams), the schema against the mapping, the stream audit (lag, lost and, with
/// <see cref="CutoverOptions.Final"/>, unapplied changes: one sync-lag run, repeated until drained),
/// counts per table, the latest drift pass of every table, the quarantine, and the error rate of the
/// last hour from the batch statistics. Every check is measured and reported, so one NO-GO shows
/// everything that stands in the way. When a store cannot be reached, the gate stops there: it
/// could not run.
/// </summary>
public sealed class CutoverGate(
    SyncMapping mapping,
    NpgsqlDataSource dataSource,
    SchemaMigrator migrator,
    IAmazonDynamoDB dynamoDb,
    IStreamArnSource streamArns,
    DynamoDbStreamReader streamReader,
    SyncLagMonitor lag,
    BatchStatsStore batchStats,
    CutoverSettings settings,
    LagSettings lagSettings,
    TimeProvider time)
{
    private readonly CutoverReadings _readings = new(dataSource);

    /// <summary>Runs every check once (the stream audit until drained with <see cref="CutoverOptions.Final"/>).</summary>
    public async Task<CutoverReport> RunAsync(CutoverOptions options, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(options);
        var checks = new List<GateCheck>();

        var unreachable = await ConnectivityAsync(checks, cancellationToken);
        if (unreachable is not null) return new CutoverReport(checks, unreachable);

        var compatibility = await migrator.CheckAsync(cancellationToken);
        var (columns, problems) = await _readings.SchemaProblemsAsync(mapping, cancellationToken);
        checks.Add(new GateCheck("schema",
            compatibility.CanRun && problems.Count == 0
                ? Invariant($"version {compatibility.DatabaseVersion} ({compatibility.Status}), {columns} mapped columns present with their types")
                : string.Join("; ", (compatibility.CanRun ? [] : new[] { compatibility.Message }).Concat(problems)),
            Invariant($"compatible with build {compatibility.BuildVersion}, every mapped column present and of its type"),
            compatibility.CanRun && problems.Count == 0));
        // The remaining checks read tables that an unusable schema may not have.
        if (!compatibility.CanRun) return new CutoverReport(checks, null);

        LagReport audit;
        try
        {
            audit = await AuditAsync(options, checks, cancellationToken);
        }
        catch (Exception e) when (IsUnreachable(e))
        {
            checks.Add(new GateCheck("stream audit", "failed: " + e.Message, "sync-lag reads every stream", false));
            return new CutoverReport(checks, "the streams could not be read: " + e.Message);
        }

        await CountsAsync(options, audit, checks, cancellationToken);
        await DriftAsync(checks, cancellationToken);

        var open = await new LagStore(dataSource).OpenQuarantineAsync(cancellationToken);
        var total = open.Values.Sum();
        checks.Add(new GateCheck("quarantine",
            total == 0 ? "0 open entries" : Invariant($"{total} open entries ({string.Join(", ", open.OrderBy(o => o.Key, StringComparer.Ordinal).Select(o => $"{o.Key} {o.Value}"))})"),
            "0 open entries", total == 0));

        var rate = await batchStats.ErrorRateAsync(CutoverSettings.ErrorRateWindow, cancellationToken);
        checks.Add(new GateCheck("error rate", rate + " in the last hour",
            Invariant($"≤ {settings.MaxErrorRate * 100:0.###} %"), rate.Rate <= settings.MaxErrorRate));

        return new CutoverReport(checks, null);
    }

    private async Task<string?> ConnectivityAsync(List<GateCheck> checks, CancellationToken cancellationToken)
    {
        try
        {
            var version = await _readings.ServerVersionAsync(cancellationToken);
            checks.Add(new GateCheck("postgres", "PostgreSQL " + version, "reachable", true));
        }
        catch (Exception e) when (IsUnreachable(e))
        {
            checks.Add(new GateCheck("postgres", "unreachable: " + e.Message, "reachable", false));
            return "PostgreSQL is unreachable: " + e.Message;
        }

        var statuses = new List<string>();
        try
        {
            foreach (var table in mapping.Tables)
            {
                var description = await dynamoDb.DescribeTableAsync(table.SourceTable, cancellationToken);
                statuses.Add($"{table.SourceTable} {description.Table.TableStatus}");
            }
            checks.Add(new GateCheck("dynamodb", string.Join(", ", statuses), "every synced table exists", true));
        }
        catch (Exception e) when (IsUnreachable(e) || e is ResourceNotFoundException)
        {
            checks.Add(new GateCheck("dynamodb", "failed: " + e.Message, "every synced table exists", false));
            return "DynamoDB could not be read: " + e.Message;
        }

        var streams = new List<string>();
        try
        {
            foreach (var table in mapping.Tables)
            {
                var arn = await streamArns.StreamArnAsync(table, cancellationToken);
                var tree = await streamReader.DescribeStreamAsync(arn, cancellationToken);
                streams.Add(Invariant($"{table.SourceTable} {tree.StreamStatus ?? "?"} ({tree.Shards.Count} shards)"));
            }
            checks.Add(new GateCheck("streams", string.Join(", ", streams), "every synced table's stream readable", true));
        }
        catch (Exception e) when (IsUnreachable(e))
        {
            checks.Add(new GateCheck("streams", "failed: " + e.Message, "every synced table's stream readable", false));
            return "the streams could not be read: " + e.Message;
        }
        return null;
    }

    /// <summary>One sync-lag run; with --final, more until no change is unapplied and every shard is read to its end, or the timeout.</summary>
    private async Task<LagReport> AuditAsync(CutoverOptions options, List<GateCheck> checks, CancellationToken cancellationToken)
    {
        var started = time.GetUtcNow();
        var audit = await lag.RunAsync(cancellationToken);
        var runs = 1;
        while (options.Final && !Drained(audit) && time.GetUtcNow() - started < options.Timeout)
        {
            await Task.Delay(options.PollInterval, time, cancellationToken);
            audit = await lag.RunAsync(cancellationToken);
            runs++;
        }

        var worst = audit.Tables.MaxBy(t => t.SyncLag);
        checks.Add(new GateCheck("lag",
            string.Join(", ", audit.Tables.Select(t => Invariant($"{t.Table} {t.SyncLag.TotalSeconds:0.0} s"))),
            Invariant($"≤ {lagSettings.LagThreshold.TotalSeconds:0} s per table"),
            worst is null || worst.SyncLag <= lagSettings.LagThreshold));

        var lost = audit.Tables.Sum(t => t.LostChanges);
        var gaps = audit.Tables.Sum(t => t.RetentionGaps);
        checks.Add(new GateCheck("lost changes",
            Invariant($"{lost} lost, {gaps} shards with records gone before they were audited"),
            "0 lost, 0 gaps", lost == 0 && gaps == 0));

        var unapplied = audit.Tables.Sum(t => t.UnappliedChanges);
        var caughtUp = audit.Tables.All(t => t.CaughtUp);
        var waited = time.GetUtcNow() - started;
        if (options.Final)
        {
            checks.Add(new GateCheck("unapplied",
                Invariant($"{unapplied} unapplied, streams {(caughtUp ? "read to their end" : "not read to their end")} after {runs} audit(s), {waited.TotalSeconds:0} s"),
                Invariant($"0 unapplied within {options.Timeout.TotalSeconds:0} s"),
                Drained(audit)));
        }
        return audit;
    }

    private static bool Drained(LagReport audit) => audit.Tables.All(t => t.UnappliedChanges == 0 && t.CaughtUp);

    /// <summary>
    /// DynamoDB's item count (a consistent Scan with Select=COUNT) against PostgreSQL's rows plus the keys
    /// whose only change is quarantined (a genuine defect: the item exists, its row cannot). Live, the
    /// changes still in flight may stand between them; with --final the two must be equal.
    /// </summary>
    private async Task CountsAsync(CutoverOptions options, LagReport audit, List<GateCheck> checks, CancellationToken cancellationToken)
    {
        var rows = await _readings.RowCountsAsync(mapping, cancellationToken);
        var items = await Task.WhenAll(mapping.Tables.Select(t => CountItemsAsync(t.SourceTable, cancellationToken)));
        for (var i = 0; i < mapping.Tables.Count; i++)
        {
            var table = mapping.Tables[i];
            var (stored, quarantined) = rows[table.Table];
            var allowed = options.Final ? 0 : audit.Tables.FirstOrDefault(t => t.Table == table.Table)?.UnappliedChanges ?? 0;
            var difference = Math.Abs(items[i] - (stored + quarantined));
            checks.Add(new GateCheck("counts " + table.Table,
                Invariant($"DynamoDB {items[i]} items, PostgreSQL {stored} rows + {quarantined} quarantined without a row"),
                allowed == 0 ? "equal" : Invariant($"equal within the {allowed} unapplied changes"),
                difference <= allowed));
        }
    }

    private async Task<long> CountItemsAsync(string table, CancellationToken cancellationToken)
    {
        long count = 0;
        Dictionary<string, AttributeValue>? start = null;
        do
        {
            var page = await dynamoDb.ScanAsync(new ScanRequest
            {
                TableName = table,
                Select = Select.COUNT,
                ConsistentRead = true,
                ExclusiveStartKey = start,
            }, cancellationToken);
            count += page.Count ?? 0;
            start = page.LastEvaluatedKey is { Count: > 0 } last ? last : null;
        } while (start is not null);
        return count;
    }

    /// <summary>Per table: a full pass completed recently, and no unresolved drift (in-flight findings are shown, not counted).</summary>
    private async Task DriftAsync(List<GateCheck> checks, CancellationToken cancellationToken)
    {
        var drift = await _readings.DriftAsync(mapping, cancellationToken);
        var now = time.GetUtcNow();
        foreach (var table in mapping.Tables)
        {
            var (_, completed, found, inFlight) = drift.GetValueOrDefault(table.Table);
            var age = completed is { } at ? now - at : (TimeSpan?)null;
            var value = age is { } a
                ? Invariant($"full pass completed {Minutes(a)} ago, {found} open drift, {inFlight} in flight")
                : Invariant($"no complete full pass, {found} open drift, {inFlight} in flight");
            checks.Add(new GateCheck("drift " + table.Table, value,
                Invariant($"full pass within {Minutes(settings.DriftMaxAge)}, 0 open drift"),
                age is { } recent && recent <= settings.DriftMaxAge && found == 0));
        }
    }

    private static string Minutes(TimeSpan span) =>
        span < TimeSpan.FromMinutes(2) ? Invariant($"{Math.Max(0, span.TotalSeconds):0} s") : Invariant($"{span.TotalMinutes:0} min");

    private static bool IsUnreachable(Exception e) =>
        e is NpgsqlException or TimeoutException or SocketException or HttpRequestException or AmazonServiceException
            or AmazonClientException or StreamsApiException or InvalidOperationException;

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
