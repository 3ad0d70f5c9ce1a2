using System.Diagnostics;
using System.Globalization;
using CloudShelf.Sync.Backfill;
using CloudShelf.Sync.Configuration;
using CloudShelf.Sync.Drift;
using CloudShelf.Sync.Hosting;
using CloudShelf.Sync.Observability;

namespace CloudShelf.Sync.Benchmarks;

/// <summary>
/// Drift comparison throughput against a parallel Scan of the same table that compares nothing
/// (what the local DynamoDB, DynamoDB Local or dynalite, delivers), interleaved round by round in the same run, at N and
/// 10 N items; then the peak memory of the CLI's <c>drift</c> at both sizes, which must stay flat.
/// A drift item is compared in full: read, mapped, its row read, compared, its key recorded for the
/// extras phase, which then runs too.
/// </summary>
internal static class DriftBenchRun
{
    private const int Segments = 4;
    private const int PageSize = 500;
    private const int Rounds = 5;

    public static async Task RunAsync(BenchOptions options, TextWriter output, CancellationToken cancellationToken)
    {
        await using var stores = await BenchStores.StartAsync(options.Dynamo ?? LocalDynamo.DynamoDbLocal, cancellationToken);

        output.WriteLine("CloudShelf.Sync drift benchmark");
        output.WriteLine($"machine: {Environment.ProcessorCount} cores, {System.Runtime.InteropServices.RuntimeInformation.FrameworkDescription}, load average {Report.LoadAverage()} at the start; DynamoDB API: {stores.Description}; PostgreSQL on loopback");
        output.WriteLine($"{Segments} segments, pages of {PageSize}, a warm-up round then {Rounds} interleaved rounds (medians); book items, both stores equal");
        output.WriteLine();
        output.WriteLine($"{"items",8} {"scan items/s",13} {"drift items/s",14} {"x scan",7} {"paired x scan",14} {"CLI peak RSS MB",16}");

        var rss = new List<double>();
        var ratios = new List<double>();
        var breakdowns = new List<string>();
        foreach (var size in new[] { options.BackfillItems, options.BackfillItems * 10 })
        {
            var table = $"bench-books-{size}";
            await stores.SeedBooksAsync(table, size, cancellationToken);
            var connection = await stores.Postgres.CreateDatabaseAsync(ct: cancellationToken);
            var environment = stores.SyncEnvironment(connection, table);
            var settings = SyncSettings.Load(new DictionaryEnvironment(environment));
            await using var services = SyncServices.Create(settings, NullLog.Instance, new EmfMetrics(TextWriter.Null, "bench", TimeProvider.System), TimeProvider.System);
            await services.Migrator.MigrateAsync(cancellationToken);
            var books = services.Mapping.ForTable("books")!;
            var loaded = await new BackfillRunner(services.Backfiller, services.DynamoDb)
                .RunAsync([books], Segments, Segments, new BackfillOptions(PageSize), restart: false, null, cancellationToken);
            if (loaded.ItemsWritten != size) throw new InvalidOperationException($"The backfill wrote {loaded.ItemsWritten} of {size} items.");

            // One round unmeasured first: at the first size it would otherwise time the JIT as much as the pass.
            await ScanOnlyAsync(stores, table, size, cancellationToken);
            await DriftAsync(services, size, cancellationToken);
            var scans = new List<double>();
            var drifts = new List<double>();
            for (var round = 0; round < Rounds; round++)
            {
                scans.Add(await ScanOnlyAsync(stores, table, size, cancellationToken));
                drifts.Add(await DriftAsync(services, size, cancellationToken));
            }
            if (options.Breakdown) breakdowns.Add(await new DriftBreakdown(services, stores.Client, Segments, PageSize).RunAsync(size, cancellationToken));
            var scanRate = Median(scans);
            var driftRate = Median(drifts);
            var peak = File.Exists(stores.Cli)
                ? await stores.CliPeakRssAsync(["drift", "--tables", "books", "--segments", Segments.ToString(CultureInfo.InvariantCulture)], environment, cancellationToken)
                : double.NaN;
            var ratio = driftRate / scanRate;
            // Each round's drift against the scan just before it: how firm the ratio of medians is on a shared machine.
            var paired = drifts.Zip(scans, (drift, scan) => drift / scan).ToList();
            rss.Add(peak);
            ratios.Add(ratio);
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{size,8:N0} {scanRate,13:N0} {driftRate,14:N0} {ratio,7:F2} {$"{paired.Min():F2}..{paired.Max():F2}",14} {peak,16:F1}"));
        }
        output.WriteLine();
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"target: drift >= 0.70 x scan (aim 0.90): {(ratios.Min() >= 0.7 ? "PASS" : "MISS")} (lowest {ratios.Min():F2}); " +
            $"peak RSS at 10x items <= 1.25 x: {(rss[1] <= 1.25 * rss[0] ? "PASS" : "MISS")} ({rss[1] / rss[0]:F2} x)"));
        if (!File.Exists(stores.Cli)) output.WriteLine($"(CLI memory not measured: build the solution in Release first, {stores.Cli} is missing)");
        if (breakdowns.Count > 0)
        {
            output.WriteLine();
            output.WriteLine("where a pass goes (the steps one after another on a pass of their own, ms per 1,000 items):");
            foreach (var line in breakdowns) output.WriteLine(line);
        }
        output.WriteLine($"load average {Report.LoadAverage()} at the end");
    }

    private static double Median(List<double> values)
    {
        var sorted = values.Order().ToList();
        return sorted[sorted.Count / 2];
    }

    /// <summary>The same parallel Scan as the drift engine's, reading every page and comparing nothing.</summary>
    private static async Task<double> ScanOnlyAsync(BenchStores stores, string table, int size, CancellationToken cancellationToken)
    {
        var (count, elapsed) = await stores.ScanAsync(table, Segments, PageSize, null, cancellationToken);
        if (count != size) throw new InvalidOperationException($"The scan read {count} of {size} items.");
        return count / elapsed.TotalSeconds;
    }

    private static async Task<double> DriftAsync(SyncServices services, int size, CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        var report = await services.Drift.RunAsync(new DriftOptions
        {
            Tables = ["books"], Segments = Segments, Parallelism = Segments, PageSize = PageSize,
        }, cancellationToken);
        var elapsed = Stopwatch.GetElapsedTime(started);
        var books = report.Tables.Single();
        if (books.ItemsCompared != size || !books.FullCoverage || books.Drift + books.InFlight != 0)
            throw new InvalidOperationException($"The drift run compared {books.ItemsCompared} of {size} items (full coverage {books.FullCoverage}) and found {books.Drift} drifted, {books.InFlight} in flight.");
        return size / elapsed.TotalSeconds;
    }
}
