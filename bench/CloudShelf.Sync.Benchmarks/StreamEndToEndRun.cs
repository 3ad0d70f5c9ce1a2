using System.Diagnostics;
using System.Globalization;
using Amazon.DynamoDBv2;
using Amazon.DynamoDBv2.Model;
using Amazon.Runtime;
using CloudShelf.Sync.Cli.LocalMapping;
using CloudShelf.Sync.Configuration;
using CloudShelf.Sync.Hosting;
using CloudShelf.Sync.Observability;
using CloudShelf.Sync.StreamReading;
using CloudShelf.Sync.StreamSync;
using CloudShelf.Sync.Testing;

namespace CloudShelf.Sync.Benchmarks;

/// <summary>
/// DynamoDB Local → <c>stream run</c> → PostgreSQL at a steady write rate: throughput and the
/// latency from a write's acknowledgement to its row's <c>synced_at</c>, in-process and through the
/// published bootstrap. Reference measured in the same run: the write rate DynamoDB Local accepts
/// from the same writers with nothing reading its stream.
/// </summary>
internal static class StreamEndToEndRun
{
    private const int Writers = 4;

    public static async Task RunAsync(BenchOptions options, TextWriter output, CancellationToken cancellationToken)
    {
        var bootstrap = await PublishedBootstrap.PathAsync(cancellationToken);
        await using var postgres = await PostgresServer.StartAsync(cancellationToken);
        await using var dynamo = await DynamoDbLocalServer.StartAsync(cancellationToken);
        using var client = new AmazonDynamoDBClient(new BasicAWSCredentials("local", "local"),
            new AmazonDynamoDBConfig { ServiceURL = dynamo.Endpoint, AuthenticationRegion = "us-east-1" });

        output.WriteLine("CloudShelf.Sync end to end: DynamoDB Local -> stream run -> PostgreSQL");
        output.WriteLine($"machine: {Environment.ProcessorCount} cores, {System.Runtime.InteropServices.RuntimeInformation.FrameworkDescription}, load average {LoadAverage()}");
        output.WriteLine($"steady rate {options.StreamRate} puts/s for {options.StreamSeconds} s, {Writers} writers, book items; defaults of template.yaml except a batching window of 0 s");
        output.WriteLine();

        var reference = await RawWriteRateAsync(client, "bench-raw", options.StreamRate * options.StreamSeconds, cancellationToken);
        output.WriteLine($"reference: DynamoDB Local accepts {reference:F0} puts/s from {Writers} writers (no stream reader)");
        output.WriteLine();
        output.WriteLine($"{"mode",-12} {"records",8} {"throughput/s",13} {"latency p50 ms",15} {"p99 ms",8} {"max ms",8}");
        foreach (var (mode, path) in new[] { ("in-process", (string?)null), ("bootstrap", bootstrap) })
        {
            var result = await MeasureAsync(client, dynamo.Endpoint, postgres, mode, path, options, cancellationToken);
            output.WriteLine($"{mode,-12} {result.Records,8} {result.Throughput,13:F0} {result.P50,15:F0} {result.P99,8:F0} {result.Max,8:F0}");
        }
    }

    private static async Task<double> RawWriteRateAsync(AmazonDynamoDBClient client, string table, int count, CancellationToken cancellationToken)
    {
        await CreateTableAsync(client, table, streams: false, cancellationToken);
        var watch = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, Writers).Select(w => Task.Run(async () =>
        {
            for (var i = w; i < count; i += Writers) await PutAsync(client, table, i, cancellationToken);
        }, cancellationToken)));
        return count / watch.Elapsed.TotalSeconds;
    }

    private static async Task<(int Records, double Throughput, double P50, double P99, double Max)> MeasureAsync(
        AmazonDynamoDBClient client, string endpoint, PostgresServer postgres, string mode, string? bootstrap, BenchOptions options,
        CancellationToken cancellationToken)
    {
        var table = "bench-" + mode;
        await CreateTableAsync(client, table, streams: true, cancellationToken);
        var connection = await postgres.CreateDatabaseAsync(ct: cancellationToken);
        var environment = new Dictionary<string, string>
        {
            [SyncSettings.PostgresConnectionVariable] = connection,
            [SyncSettings.DynamoDbEndpointVariable] = endpoint,
            [SyncSettings.BooksTableVariable] = table,
            [SyncSettings.LogLevelVariable] = "ERROR",
        };
        await using var services = SyncServices.Create(SyncSettings.Load(new DictionaryEnvironment(environment)), NullLog.Instance,
            new EmfMetrics(TextWriter.Null, "bench", TimeProvider.System), TimeProvider.System);
        await services.Migrator.MigrateAsync(cancellationToken);
        await using IBatchInvoker invoker = bootstrap is null
            ? new InProcessInvoker(FunctionCatalog.Create(StreamSyncHandler.Name, services), TimeProvider.System)
            : new BootstrapInvoker(bootstrap, environment, 2, TextWriter.Null, TimeProvider.System);
        var mapping = new LocalEventSourceMapping(new LocalMappingOptions { Drain = true, BatchWindow = TimeSpan.Zero, OnFailureDirectory = Path.GetTempPath() },
            services.DynamoDb, services.StreamReader, new ShardCheckpointStore(services.DataSource, ShardCheckpointStore.LocalMappingConsumer + "-bench"),
            invoker, NullLog.Instance, TimeProvider.System);

        var total = options.StreamRate * options.StreamSeconds;
        var written = new DateTimeOffset[total];
        var run = mapping.RunAsync([table], cancellationToken);
        var start = Stopwatch.GetTimestamp();
        await Task.WhenAll(Enumerable.Range(0, Writers).Select(w => Task.Run(async () =>
        {
            for (var i = w; i < total; i += Writers)
            {
                // Steady: item i is due i/rate seconds after the start.
                var due = TimeSpan.FromSeconds((double)i / options.StreamRate) - Stopwatch.GetElapsedTime(start);
                if (due > TimeSpan.Zero) await Task.Delay(due, cancellationToken);
                await PutAsync(client, table, i, cancellationToken);
                written[i] = DateTimeOffset.UtcNow;
            }
        }, cancellationToken)));
        await run;

        var latencies = new List<double>(total);
        DateTimeOffset last = default;
        await using (var command = services.DataSource.CreateCommand("SELECT book_id, synced_at FROM cloudshelf.books"))
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                var i = int.Parse(reader.GetString(0).AsSpan("book-".Length), CultureInfo.InvariantCulture);
                var synced = reader.GetFieldValue<DateTimeOffset>(1);
                if (synced > last) last = synced;
                latencies.Add(Math.Max(0, (synced - written[i]).TotalMilliseconds));
            }
        }
        if (latencies.Count != total) throw new InvalidOperationException($"{mode}: {latencies.Count} of {total} rows arrived.");
        latencies.Sort();
        var first = written.Min();
        return (total, total / (last - first).TotalSeconds, Percentile(latencies, 0.50), Percentile(latencies, 0.99), latencies[^1]);
    }

    private static double Percentile(List<double> sorted, double p) => sorted[Math.Min(sorted.Count - 1, (int)Math.Ceiling(p * sorted.Count) - 1)];

    private static async Task CreateTableAsync(AmazonDynamoDBClient client, string table, bool streams, CancellationToken cancellationToken) =>
        await client.CreateTableAsync(new CreateTableRequest
        {
            TableName = table,
            KeySchema = [new KeySchemaElement("bookId", KeyType.HASH)],
            AttributeDefinitions = [new AttributeDefinition("bookId", ScalarAttributeType.S)],
            BillingMode = BillingMode.PAY_PER_REQUEST,
            StreamSpecification = streams ? new StreamSpecification { StreamEnabled = true, StreamViewType = StreamViewType.NEW_AND_OLD_IMAGES } : null,
        }, cancellationToken);

    private static Task PutAsync(AmazonDynamoDBClient client, string table, int i, CancellationToken cancellationToken) =>
        client.PutItemAsync(new PutItemRequest
        {
            TableName = table,
            Item = Items.Book($"book-{i:D7}", "24.99", i % 100).ToDictionary(a => a.Key, a => Dynamo.SdkValues.ToSdk(a.Value)),
        }, cancellationToken);

    private static string LoadAverage() =>
        File.Exists("/proc/loadavg") ? File.ReadAllText("/proc/loadavg").Split(' ')[0] : "n/a";
}
