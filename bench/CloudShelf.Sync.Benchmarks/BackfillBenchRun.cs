using System.Diagnostics;
using System.Globalization;
using CloudShelf.Sync.Backfill;
using CloudShelf.Sync.Configuration;
using CloudShelf.Sync.Dynamo;
using CloudShelf.Sync.Hosting;
using CloudShelf.Sync.Mapping;
using CloudShelf.Sync.Observability;
using CloudShelf.Sync.Testing;

namespace CloudShelf.Sync.Benchmarks;

/// <summary>
/// Backfill throughput against its two limits measured in the same run on the same items: a
/// parallel Scan of the table that writes nothing (what DynamoDB, here dynalite or DynamoDB Local, delivers), and a
/// binary COPY of the rows (what PostgreSQL ingests). Then the memory of the CLI backfill at N and
/// 10 N items, which must stay flat.
/// </summary>
internal static class BackfillBenchRun
{
    private const int Segments = 4;
    private const int PageSize = 500;

    public static async Task RunAsync(BenchOptions options, TextWriter output, CancellationToken cancellationToken)
    {
        await using var stores = await BenchStores.StartAsync(options.Dynamo ?? LocalDynamo.Dynalite, cancellationToken);
        var books = CloudShelfMapping.Create(SourceTableNames.Default).ForTable("books")!;

        output.WriteLine("CloudShelf.Sync backfill benchmark");
        output.WriteLine($"machine: {Environment.ProcessorCount} cores, {System.Runtime.InteropServices.RuntimeInformation.FrameworkDescription}; DynamoDB API: {stores.Description}; PostgreSQL on loopback");
        output.WriteLine($"{Segments} segments, pages of {PageSize}; each contender on the same table of book items");
        output.WriteLine();
        output.WriteLine($"{"items",8} {"scan items/s",13} {"COPY items/s",13} {"backfill items/s",17} {"x limit",8} {"CLI peak RSS MB",16}");

        var rss = new List<double>();
        var ratios = new List<double>();
        foreach (var size in new[] { options.BackfillItems, options.BackfillItems * 10 })
        {
            var table = $"bench-books-{size}";
            await stores.SeedBooksAsync(table, size, cancellationToken);
            var tableMapping = books with { SourceTable = table };

            var (scanned, scanRate) = await ScanOnlyAsync(stores, tableMapping, cancellationToken);
            var copyRate = await CopyAsync(stores.Postgres, tableMapping, scanned, cancellationToken);
            var backfillRate = await BackfillAsync(stores, table, size, cancellationToken);
            var peak = File.Exists(stores.Cli)
                ? await stores.CliPeakRssAsync(["backfill", "--tables", "books", "--segments", Segments.ToString(CultureInfo.InvariantCulture)],
                    stores.SyncEnvironment(await stores.Postgres.CreateDatabaseAsync(ct: cancellationToken), table), cancellationToken)
                : double.NaN;
            var ratio = backfillRate / Math.Min(scanRate, copyRate);
            rss.Add(peak);
            ratios.Add(ratio);
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{size,8:N0} {scanRate,13:N0} {copyRate,13:N0} {backfillRate,17:N0} {ratio,8:F2} {peak,16:F1}"));
        }
        output.WriteLine();
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"target: backfill >= 0.60 x the lower limit: {(ratios.Min() >= 0.6 ? "PASS" : "MISS")} (lowest {ratios.Min():F2}); " +
            $"peak RSS at 10x items <= 1.25 x: {(rss[1] <= 1.25 * rss[0] ? "PASS" : "MISS")} ({rss[1] / rss[0]:F2} x)"));
        if (!File.Exists(stores.Cli)) output.WriteLine($"(CLI memory not measured: build the solution in Release first, {stores.Cli} is missing)");
    }

    /// <summary>The backfill's parallel Scan, each item mapped to its row and kept (for the COPY), nothing written.</summary>
    private static async Task<(List<BookRow> Rows, double Rate)> ScanOnlyAsync(BenchStores stores, TableMapping table, CancellationToken cancellationToken)
    {
        var rows = Enumerable.Range(0, Segments).Select(_ => new List<BookRow>()).ToArray();
        var (_, elapsed) = await stores.ScanAsync(table.SourceTable, Segments, PageSize, (segment, items) =>
        {
            foreach (var item in items)
            {
                var row = ItemMapper.Map(table, SdkValues.FromSdkItem(item));
                rows[segment].Add(new BookRow(row.Key, row.Values, row.AttributesJson, Backfiller.BackfillSequence, null));
            }
        }, cancellationToken);
        var all = rows.SelectMany(r => r).ToList();
        return (all, all.Count / elapsed.TotalSeconds);
    }

    private static async Task<double> CopyAsync(PostgresServer server, TableMapping table, List<BookRow> rows, CancellationToken cancellationToken)
    {
        await using var services = await StreamApplyContender.StartServicesAsync(await server.CreateDatabaseAsync(ct: cancellationToken), cancellationToken);
        var copy = new CopyContender(services.DataSource, table);
        await copy.PrepareAsync(new BookBatch { Keys = rows.Select(r => r.Key).ToList(), EventJson = [], Rows = rows }, cancellationToken);
        var started = Stopwatch.GetTimestamp();
        await copy.ApplyAsync(cancellationToken);
        return rows.Count / Stopwatch.GetElapsedTime(started).TotalSeconds;
    }

    private static async Task<double> BackfillAsync(BenchStores stores, string table, int size, CancellationToken cancellationToken)
    {
        var settings = SyncSettings.Load(new DictionaryEnvironment(stores.SyncEnvironment(await stores.Postgres.CreateDatabaseAsync(ct: cancellationToken), table)));
        await using var services = SyncServices.Create(settings, NullLog.Instance, new EmfMetrics(TextWriter.Null, "bench", TimeProvider.System), TimeProvider.System);
        await services.Migrator.MigrateAsync(cancellationToken);
        var runner = new BackfillRunner(services.Backfiller, services.DynamoDb);
        var started = Stopwatch.GetTimestamp();
        var summary = await runner.RunAsync([services.Mapping.ForTable("books")!], Segments, Segments, new BackfillOptions(PageSize), restart: false, null, cancellationToken);
        var elapsed = Stopwatch.GetElapsedTime(started);
        if (summary.ItemsWritten != size) throw new InvalidOperationException($"The backfill wrote {summary.ItemsWritten} of {size} items.");
        return size / elapsed.TotalSeconds;
    }
}
