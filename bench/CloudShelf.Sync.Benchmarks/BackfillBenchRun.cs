using System.Diagnostics;
using System.Globalization;
using Amazon.DynamoDBv2;
using Amazon.DynamoDBv2.Model;
using Amazon.Runtime;
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
/// parallel Scan of the table that writes nothing (what DynamoDB, here dynalite, delivers), and a
/// binary COPY of the rows (what PostgreSQL ingests). Then the memory of the CLI backfill at N and
/// 10 N items, which must stay flat.
/// </summary>
internal static class BackfillBenchRun
{
    private const int Segments = 4;
    private const int PageSize = 500;

    public static async Task RunAsync(BenchOptions options, TextWriter output, CancellationToken cancellationToken)
    {
        var root = RepositoryRoot.Find();
        await using var dynalite = await DynaliteServer.StartAsync(cancellationToken);
        await using var server = await PostgresServer.StartAsync(cancellationToken);
        using var client = new AmazonDynamoDBClient(new BasicAWSCredentials("local", "local"),
            new AmazonDynamoDBConfig { ServiceURL = dynalite.Endpoint, AuthenticationRegion = "eu-west-1" });
        var books = CloudShelfMapping.Create(SourceTableNames.Default).ForTable("books")!;
        var cli = Path.Combine(root, "src", "CloudShelf.Sync.Cli", "bin", "Release", "net10.0", "cloudshelf-sync.dll");

        output.WriteLine("CloudShelf.Sync backfill benchmark");
        output.WriteLine($"machine: {Environment.ProcessorCount} cores, {System.Runtime.InteropServices.RuntimeInformation.FrameworkDescription}; DynamoDB API: dynalite (in memory); PostgreSQL on loopback");
        output.WriteLine($"{Segments} segments, pages of {PageSize}; each contender on the same table of book items");
        output.WriteLine();
        output.WriteLine($"{"items",8} {"scan items/s",13} {"COPY items/s",13} {"backfill items/s",17} {"x limit",8} {"CLI peak RSS MB",16}");

        var rss = new List<double>();
        var ratios = new List<double>();
        foreach (var size in new[] { options.BackfillItems, options.BackfillItems * 10 })
        {
            var table = $"bench-books-{size}";
            await SeedAsync(client, table, size, cancellationToken);
            var tableMapping = books with { SourceTable = table };

            var (scanned, scanRate) = await ScanOnlyAsync(client, tableMapping, cancellationToken);
            var copyRate = await CopyAsync(server, tableMapping, scanned, cancellationToken);
            var backfillRate = await BackfillAsync(server, dynalite.Endpoint, table, size, cancellationToken);
            var peak = File.Exists(cli) ? await CliPeakRssAsync(server, dynalite.Endpoint, cli, table, cancellationToken) : double.NaN;
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
        if (!File.Exists(cli)) output.WriteLine($"(CLI memory not measured: build the solution in Release first, {cli} is missing)");
    }

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

    private static async Task<(List<BookRow> Rows, double Rate)> ScanOnlyAsync(AmazonDynamoDBClient client, TableMapping table, CancellationToken cancellationToken)
    {
        var rows = new List<BookRow>[Segments];
        var started = Stopwatch.GetTimestamp();
        await Parallel.ForEachAsync(Enumerable.Range(0, Segments), cancellationToken, async (segment, ct) =>
        {
            rows[segment] = [];
            Dictionary<string, Amazon.DynamoDBv2.Model.AttributeValue>? start = null;
            do
            {
                var page = await client.ScanAsync(new ScanRequest
                {
                    TableName = table.SourceTable, Segment = segment, TotalSegments = Segments, Limit = PageSize, ExclusiveStartKey = start,
                }, ct);
                foreach (var item in page.Items)
                {
                    var row = ItemMapper.Map(table, SdkValues.FromSdkItem(item));
                    rows[segment].Add(new BookRow(row.Key, row.Values, row.AttributesJson, Backfiller.BackfillSequence, null));
                }
                start = page.LastEvaluatedKey is { Count: > 0 } next ? next : null;
            }
            while (start is not null);
        });
        var all = rows.SelectMany(r => r).ToList();
        return (all, all.Count / Stopwatch.GetElapsedTime(started).TotalSeconds);
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

    private static Dictionary<string, string> SyncEnvironment(string connection, string endpoint, string table) => new()
    {
        [SyncSettings.PostgresConnectionVariable] = connection,
        [SyncSettings.DynamoDbEndpointVariable] = endpoint,
        [SyncSettings.BooksTableVariable] = table,
        [SyncSettings.LogLevelVariable] = "WARN",
    };

    private static async Task<double> BackfillAsync(PostgresServer server, string endpoint, string table, int size, CancellationToken cancellationToken)
    {
        var settings = SyncSettings.Load(new DictionaryEnvironment(SyncEnvironment(await server.CreateDatabaseAsync(ct: cancellationToken), endpoint, table)));
        await using var services = SyncServices.Create(settings, NullLog.Instance, new EmfMetrics(TextWriter.Null, "bench", TimeProvider.System), TimeProvider.System);
        await services.Migrator.MigrateAsync(cancellationToken);
        var runner = new BackfillRunner(services.Backfiller, services.DynamoDb);
        var started = Stopwatch.GetTimestamp();
        var summary = await runner.RunAsync([services.Mapping.ForTable("books")!], Segments, Segments, new BackfillOptions(PageSize), restart: false, null, cancellationToken);
        var elapsed = Stopwatch.GetElapsedTime(started);
        if (summary.ItemsWritten != size) throw new InvalidOperationException($"The backfill wrote {summary.ItemsWritten} of {size} items.");
        return size / elapsed.TotalSeconds;
    }

    private static async Task<double> CliPeakRssAsync(PostgresServer server, string endpoint, string cli, string table, CancellationToken cancellationToken)
    {
        var environment = SyncEnvironment(await server.CreateDatabaseAsync(ct: cancellationToken), endpoint, table);
        await using var process = BootstrapProcess.Start("dotnet",
            [cli, "backfill", "--tables", "books", "--segments", Segments.ToString(CultureInfo.InvariantCulture)], environment);
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
        if (code != 0) throw new InvalidOperationException($"cloudshelf-sync backfill exited {code}:\n{process.Output}");
        return peak;
    }
}
