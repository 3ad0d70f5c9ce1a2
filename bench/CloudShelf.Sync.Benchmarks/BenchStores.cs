using System.Diagnostics;
using System.Globalization;
using Amazon.DynamoDBv2;
using Amazon.DynamoDBv2.Model;
using Amazon.Runtime;
using CloudShelf.Sync.Configuration;
using CloudShelf.Sync.Dynamo;
using CloudShelf.Sync.Testing;

namespace CloudShelf.Sync.Benchmarks;

/// <summary>
/// The two stores of the backfill and drift benchmarks: a local DynamoDB (dynalite or DynamoDB
/// Local) with a client, and a throwaway PostgreSQL; the seeding of a books table; the CLI's
/// environment, and its peak memory while it runs one command.
/// </summary>
internal sealed class BenchStores : IAsyncDisposable
{
    private readonly IAsyncDisposable _dynamo;

    private BenchStores(LocalDynamo kind, IAsyncDisposable dynamo, string endpoint, PostgresServer postgres)
    {
        Kind = kind;
        _dynamo = dynamo;
        Endpoint = endpoint;
        Postgres = postgres;
        Client = new AmazonDynamoDBClient(new BasicAWSCredentials("local", "local"),
            new AmazonDynamoDBConfig { ServiceURL = endpoint, AuthenticationRegion = "eu-west-1" });
        Cli = Path.Combine(RepositoryRoot.Find(), "src", "CloudShelf.Sync.Cli", "bin", "Release", "net10.0", "cloudshelf-sync.dll");
    }

    public LocalDynamo Kind { get; }

    public string Endpoint { get; }

    public PostgresServer Postgres { get; }

    public AmazonDynamoDBClient Client { get; }

    /// <summary>The Release build of the CLI, whose memory is measured (absent until the solution is built in Release).</summary>
    public string Cli { get; }

    /// <summary>The DynamoDB API as the report's header names it.</summary>
    public string Description => Kind == LocalDynamo.Dynalite ? "dynalite (in memory)" : "DynamoDB Local (in memory)";

    public static async Task<BenchStores> StartAsync(LocalDynamo kind, CancellationToken cancellationToken)
    {
        IAsyncDisposable dynamo;
        string endpoint;
        if (kind == LocalDynamo.Dynalite)
        {
            var dynalite = await DynaliteServer.StartAsync(cancellationToken);
            (dynamo, endpoint) = (dynalite, dynalite.Endpoint);
        }
        else
        {
            var local = await DynamoDbLocalServer.StartAsync(cancellationToken);
            (dynamo, endpoint) = (local, local.Endpoint);
        }
        try
        {
            return new BenchStores(kind, dynamo, endpoint, await PostgresServer.StartAsync(cancellationToken));
        }
        catch
        {
            await dynamo.DisposeAsync();
            throw;
        }
    }

    /// <summary>The sync's environment for a database and a books table, as the CLI reads it.</summary>
    public Dictionary<string, string> SyncEnvironment(string connection, string table) => new()
    {
        [SyncSettings.PostgresConnectionVariable] = connection,
        [SyncSettings.DynamoDbEndpointVariable] = Endpoint,
        [SyncSettings.BooksTableVariable] = table,
        [SyncSettings.LogLevelVariable] = "WARN",
    };

    /// <summary>Creates a books table of <paramref name="size"/> distinct book items, written 25 to a request by 4 writers.</summary>
    public async Task SeedBooksAsync(string table, int size, CancellationToken cancellationToken)
    {
        await Client.CreateTableAsync(new CreateTableRequest
        {
            TableName = table,
            KeySchema = [new KeySchemaElement("bookId", KeyType.HASH)],
            AttributeDefinitions = [new AttributeDefinition("bookId", ScalarAttributeType.S)],
            BillingMode = BillingMode.PAY_PER_REQUEST,
        }, cancellationToken);
        while ((await Client.DescribeTableAsync(table, cancellationToken)).Table.TableStatus != TableStatus.ACTIVE)
            await Task.Delay(20, cancellationToken);
        await Parallel.ForEachAsync(Enumerable.Range(0, (size + 24) / 25), new ParallelOptions { MaxDegreeOfParallelism = 4, CancellationToken = cancellationToken },
            async (chunk, ct) =>
            {
                var items = Enumerable.Range(chunk * 25, Math.Min(25, size - chunk * 25))
                    .Select(i => Items.Book($"book-{i:D8}", $"{i % 90 + 5}.{i % 100:D2}", i % 70, $"Title {i}"))
                    .Select(item => new WriteRequest(new PutRequest(item.ToDictionary(a => a.Key, a => SdkValues.ToSdk(a.Value)))))
                    .ToList();
                var request = new Dictionary<string, List<WriteRequest>> { [table] = items };
                while (request.Count > 0) request = (await Client.BatchWriteItemAsync(request, ct)).UnprocessedItems ?? [];
            });
    }

    /// <summary>
    /// A parallel Scan of the table as the backfill and drift engines issue it (segments, pages of a
    /// limit, capacity reported), handing every page's items to <paramref name="onPage"/> (segment,
    /// items) and nothing else; returns the items read and the time it took, <paramref name="onPage"/> included.
    /// </summary>
    public async Task<(int Items, TimeSpan Elapsed)> ScanAsync(string table, int segments, int pageSize,
        Action<int, List<Dictionary<string, AttributeValue>>>? onPage, CancellationToken cancellationToken)
    {
        var count = 0;
        var started = Stopwatch.GetTimestamp();
        await Parallel.ForEachAsync(Enumerable.Range(0, segments), cancellationToken, async (segment, ct) =>
        {
            Dictionary<string, AttributeValue>? start = null;
            do
            {
                var page = await Client.ScanAsync(new ScanRequest
                {
                    TableName = table, Segment = segment, TotalSegments = segments, Limit = pageSize, ExclusiveStartKey = start,
                    ReturnConsumedCapacity = ReturnConsumedCapacity.TOTAL,
                }, ct);
                onPage?.Invoke(segment, page.Items);
                Interlocked.Add(ref count, page.Items.Count);
                start = page.LastEvaluatedKey is { Count: > 0 } next ? next : null;
            }
            while (start is not null);
        });
        return (count, Stopwatch.GetElapsedTime(started));
    }

    /// <summary>Runs the CLI with <paramref name="arguments"/> and returns its peak resident set in MB, sampled every 25 ms.</summary>
    /// <exception cref="InvalidOperationException">The CLI exited with a status other than 0.</exception>
    public async Task<double> CliPeakRssAsync(IReadOnlyList<string> arguments, Dictionary<string, string> environment, CancellationToken cancellationToken)
    {
        await using var process = BootstrapProcess.Start("dotnet", [Cli, .. arguments], environment);
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
        if (code != 0)
            throw new InvalidOperationException(string.Create(CultureInfo.InvariantCulture, $"cloudshelf-sync {arguments[0]} exited {code}:\n{process.Output}"));
        return peak;
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await Postgres.DisposeAsync();
        await _dynamo.DisposeAsync();
    }
}
