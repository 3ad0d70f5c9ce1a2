using System.Diagnostics;
using System.Globalization;
using Amazon.DynamoDBv2;
using Amazon.DynamoDBv2.Model;
using Amazon.Runtime;
using CloudShelf.Sync.Backfill;
using CloudShelf.Sync.Configuration;
using CloudShelf.Sync.Drift;
using CloudShelf.Sync.Dynamo;
using CloudShelf.Sync.Hosting;
using CloudShelf.Sync.Observability;
using CloudShelf.Sync.Testing;

namespace CloudShelf.Sync.Benchmarks;

/// <summary>
/// Drift comparison throughput against a parallel Scan of the same table that compares nothing
/// (what DynamoDB, here dynalite, delivers), interleaved round by round in the same run, at N and
/// 10 N items; then the peak memory of the CLI's <c>drift</c> at both sizes, which must stay flat.
/// A drift item is compared in full: read, mapped, its row read, compared, its key recorded for the
/// extras phase, which then runs too.
/// </summary>
internal static class DriftBenchRun
{
    private const int Segments = 4;
    private const int PageSize = 500;
    private const int Rounds = 3;

    public static async Task RunAsync(BenchOptions options, TextWriter output, CancellationToken cancellationToken)
    {
        var root = RepositoryRoot.Find();
        await using var dynalite = await DynaliteServer.StartAsync(cancellationToken);
        await using var server = await PostgresServer.StartAsync(cancellationToken);
        using var client = new AmazonDynamoDBClient(new BasicAWSCredentials("local", "local"),
            new AmazonDynamoDBConfig { ServiceURL = dynalite.Endpoint, AuthenticationRegion = "eu-west-1" });
        var cli = Path.Combine(root, "src", "CloudShelf.Sync.Cli", "bin", "Release", "net10.0", "cloudshelf-sync.dll");

        output.WriteLine("CloudShelf.Sync drift benchmark");
        output.WriteLine($"machine: {Environment.ProcessorCount} cores, {System.Runtime.InteropServices.RuntimeInformation.FrameworkDescription}; DynamoDB API: dynalite (in memory); PostgreSQL on loopback");
        output.WriteLine($"{Segments} segments, pages of {PageSize}, {Rounds} interleaved rounds (medians); book items, both stores equal");
        output.WriteLine();
        output.WriteLine($"{"items",8} {"scan items/s",13} {"drift items/s",14} {"x scan",7} {"CLI peak RSS MB",16}");

        var rss = new List<double>();
        var ratios = new List<double>();
        foreach (var size in new[] { options.BackfillItems, options.BackfillItems * 10 })
        {
            var table = $"bench-books-{size}";
            await SeedAsync(client, table, size, cancellationToken);
            var connection = await server.CreateDatabaseAsync(ct: cancellationToken);
            var settings = SyncSettings.Load(new DictionaryEnvironment(SyncEnvironment(connection, dynalite.Endpoint, table)));
            await using var services = SyncServices.Create(settings, NullLog.Instance, new EmfMetrics(TextWriter.Null, "bench", TimeProvider.System), TimeProvider.System);
            await services.Migrator.MigrateAsync(cancellationToken);
            var books = services.Mapping.ForTable("books")!;
            var loaded = await new BackfillRunner(services.Backfiller, services.DynamoDb)
                .RunAsync([books], Segments, Segments, new BackfillOptions(PageSize), restart: false, null, cancellationToken);
            if (loaded.ItemsWritten != size) throw new InvalidOperationException($"The backfill wrote {loaded.ItemsWritten} of {size} items.");

            var scans = new List<double>();
            var drifts = new List<double>();
            for (var round = 0; round < Rounds; round++)
            {
                scans.Add(await ScanOnlyAsync(client, table, size, cancellationToken));
                drifts.Add(await DriftAsync(services, size, cancellationToken));
            }
            var scanRate = Median(scans);
            var driftRate = Median(drifts);
            var peak = File.Exists(cli) ? await CliPeakRssAsync(connection, dynalite.Endpoint, cli, table, cancellationToken) : double.NaN;
            var ratio = driftRate / scanRate;
            rss.Add(peak);
            ratios.Add(ratio);
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{size,8:N0} {scanRate,13:N0} {driftRate,14:N0} {ratio,7:F2} {peak,16:F1}"));
        }
        output.WriteLine();
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"target: drift >= 0.70 x scan (aim 0.90): {(ratios.Min() >= 0.7 ? "PASS" : "MISS")} (lowest {ratios.Min():F2}); " +
            $"peak RSS at 10x items <= 1.25 x: {(rss[1] <= 1.25 * rss[0] ? "PASS" : "MISS")} ({rss[1] / rss[0]:F2} x)"));
        if (!File.Exists(cli)) output.WriteLine($"(CLI memory not measured: build the solution in Release first, {cli} is missing)");
    }

    private static double Median(List<double> values)
    {
        var sorted = values.Order().ToList();
        return sorted[sorted.Count / 2];
    }

    private static Dictionary<string, string> SyncEnvironment(string connection, string endpoint, string table) => new()
    {
        [SyncSettings.PostgresConnectionVariable] = connection,
        [SyncSettings.DynamoDbEndpointVariable] = endpoint,
        [SyncSettings.BooksTableVariable] = table,
        [SyncSettings.LogLevelVariable] = "WARN",
    };

    private static async Task SeedAsync(AmazonDynamoDBClient client, string table, int size, CancellationToken cancellationToken)
    {
        await client.CreateTableAsync(new CreateTableRequest
        {
            TableName = table,
            KeySchema = [new KeySchemaElement("bookId", KeyType.HASH)],
            AttributeDefinitions = [new AttributeDefinition("bookId", ScalarAttributeType.S)],
            BillingMode = BillingMode.PAY_PER_REQUEST,
        }, cancellationToken);
        while ((await client.DescribeTableAsync(table, cancellationToken)).Table.TableStatus != TableStatus.ACTIVE)
            await Task.Delay(20, cancellationToken);
        await Parallel.ForEachAsync(Enumerable.Range(0, (size + 24) / 25), new ParallelOptions { MaxDegreeOfParallelism = 4, CancellationToken = cancellationToken },
            async (chunk, ct) =>
            {
                var items = Enumerable.Range(chunk * 25, Math.Min(25, size - chunk * 25))
                    .Select(i => Items.Book($"book-{i:D8}", $"{i % 90 + 5}.{i % 100:D2}", i % 70, $"Title {i}"))
                    .Select(item => new WriteRequest(new PutRequest(item.ToDictionary(a => a.Key, a => SdkValues.ToSdk(a.Value)))))
                    .ToList();
                var request = new Dictionary<string, List<WriteRequest>> { [table] = items };
                while (request.Count > 0) request = (await client.BatchWriteItemAsync(request, ct)).UnprocessedItems ?? [];
            });
    }

    /// <summary>The same parallel Scan as the drift engine's, reading every page and comparing nothing.</summary>
    private static async Task<double> ScanOnlyAsync(AmazonDynamoDBClient client, string table, int size, CancellationToken cancellationToken)
    {
        var count = 0;
        var started = Stopwatch.GetTimestamp();
        await Parallel.ForEachAsync(Enumerable.Range(0, Segments), cancellationToken, async (segment, ct) =>
        {
            Dictionary<string, Amazon.DynamoDBv2.Model.AttributeValue>? start = null;
            do
            {
                var page = await client.ScanAsync(new ScanRequest
                {
                    TableName = table, Segment = segment, TotalSegments = Segments, Limit = PageSize, ExclusiveStartKey = start,
                    ReturnConsumedCapacity = ReturnConsumedCapacity.TOTAL,
                }, ct);
                Interlocked.Add(ref count, page.Items.Count);
                start = page.LastEvaluatedKey is { Count: > 0 } next ? next : null;
            }
            while (start is not null);
        });
        var elapsed = Stopwatch.GetElapsedTime(started);
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

    private static async Task<double> CliPeakRssAsync(string connection, string endpoint, string cli, string table, CancellationToken cancellationToken)
    {
        var environment = SyncEnvironment(connection, endpoint, table);
        await using var process = BootstrapProcess.Start("dotnet",
            [cli, "drift", "--tables", "books", "--segments", Segments.ToString(CultureInfo.InvariantCulture)], environment);
        double peak = 0;
        while (!process.HasExited)
        {
            try
            {
                peak = Math.Max(peak, process.PeakResidentBytes() / 1024d / 1024d);
            }
            catch (Exception e) when (e is IOException or InvalidOperationException or UnauthorizedAccessException)
            {
                // Exited between the check and the read.
            }
            await Task.Delay(25, cancellationToken);
        }
        var code = await process.WaitForExitAsync(TimeSpan.FromSeconds(5));
        if (code != 0) throw new InvalidOperationException($"cloudshelf-sync drift exited {code}:\n{process.Output}");
        return peak;
    }
}
