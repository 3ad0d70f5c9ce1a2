using System.Globalization;
using Amazon.DynamoDBv2;
using Amazon.DynamoDBv2.Model;
using Amazon.Runtime;
using CloudShelf.Sync.Backfill;
using CloudShelf.Sync.Configuration;
using CloudShelf.Sync.Dynamo;
using CloudShelf.Sync.IntegrationTests.Infrastructure;
using CloudShelf.Sync.Mapping;
using CloudShelf.Sync.Streams;
using static CloudShelf.Sync.Testing.Items;
using static CloudShelf.Sync.Testing.StreamEvents;
using AttributeValue = CloudShelf.Sync.Streams.AttributeValue;

namespace CloudShelf.Sync.IntegrationTests.Backfill;

/// <summary>
/// Tables in dynalite seeded once for the class (tens of thousands of items, edge cases among
/// them); each test backfills them into a fresh database.
/// </summary>
public sealed class BackfillSeed : IAsyncLifetime
{
    public const int Books = 8000, Users = 6000, Orders = 6000;
    private readonly DynaliteFixture _dynalite = new();

    public string Endpoint => _dynalite.Server.Endpoint;

    public Dictionary<string, AttributeValue> EdgeBook { get; } = EdgeCaseBook();

    public async Task InitializeAsync()
    {
        await _dynalite.InitializeAsync();
        using var client = Client(Endpoint);
        await Task.WhenAll(
            Seed(client, "cloudshelf-books", "bookId", Enumerable.Range(0, Books - 1).Select(i => Book($"book-{i:D6}", $"{i % 97}.{i % 100:D2}", i % 50))
                .Append(EdgeBook)),
            Seed(client, "cloudshelf-users", "userId", Enumerable.Range(0, Users).Select(i => User($"user-{i:D6}", $"reader{i}@example.com"))),
            Seed(client, "cloudshelf-orders", "orderId", Enumerable.Range(0, Orders).Select(i => Order($"order-{i:D6}", i % 4 + 1))));
    }

    public Task DisposeAsync() => _dynalite.DisposeAsync();

    public static AmazonDynamoDBClient Client(string endpoint) =>
        new(new BasicAWSCredentials("local", "local"), new AmazonDynamoDBConfig { ServiceURL = endpoint, AuthenticationRegion = "eu-west-1" });

    private static Dictionary<string, AttributeValue> EdgeCaseBook()
    {
        var book = Book("book-edge", "12345678901234567890.123456789012345678");
        // DynamoDB (and dynalite) store numbers normalised: 1E+30 comes back as its digits.
        book["stock"] = N("1000000000000000000000000000000");
        book["publishedDate"] = S("not-a-date");
        book["title"] = S("ノルウェイの森 📚 e\u0301");
        book["scans"] = AttributeValue.FromBS([[1, 2, 3], [255]]);
        book["sizes"] = AttributeValue.FromNS(["1", "2.5"]);
        book["meta"] = AttributeValue.FromM(new Dictionary<string, AttributeValue> { ["l"] = AttributeValue.FromL([AttributeValue.Null, AttributeValue.True]) });
        book["blob"] = AttributeValue.FromB([0, 1]);
        return book;
    }

    private static async Task Seed(AmazonDynamoDBClient client, string table, string key, IEnumerable<Dictionary<string, AttributeValue>> items)
    {
        await client.CreateTableAsync(new CreateTableRequest
        {
            TableName = table,
            KeySchema = [new KeySchemaElement(key, KeyType.HASH)],
            AttributeDefinitions = [new AttributeDefinition(key, ScalarAttributeType.S)],
            BillingMode = BillingMode.PAY_PER_REQUEST,
        });
        while ((await client.DescribeTableAsync(table)).Table.TableStatus != TableStatus.ACTIVE) await Task.Delay(20);
        foreach (var chunk in items.Chunk(25))
        {
            var request = new Dictionary<string, List<WriteRequest>>
            {
                [table] = chunk.Select(i => new WriteRequest(new PutRequest(i.ToDictionary(a => a.Key, a => SdkValues.ToSdk(a.Value))))).ToList(),
            };
            while (request.Count > 0)
                request = (await client.BatchWriteItemAsync(request)).UnprocessedItems ?? [];
        }
    }
}

[Collection(SyncServerCollection.Name)]
public sealed class BackfillTests(SyncServerFixture fixture, BackfillSeed seed) : IClassFixture<BackfillSeed>
{
    private const int Total = BackfillSeed.Books + BackfillSeed.Users + BackfillSeed.Orders;

    private Task<SyncDatabase> DatabaseAsync() =>
        SyncDatabase.CreateAsync(fixture, settings: new() { [SyncSettings.DynamoDbEndpointVariable] = seed.Endpoint });

    private static Task<BackfillSummary> RunAsync(SyncDatabase db, int segments = 4, bool restart = false, IProgress<int>? progress = null,
        CancellationToken cancellationToken = default) =>
        new BackfillRunner(db.Services.Backfiller, db.Services.DynamoDb)
            .RunAsync(db.Services.Mapping.Tables, segments, parallelism: 4, new BackfillOptions(PageSize: 500), restart, progress, cancellationToken);

    private static async Task<long> RowsAsync(SyncDatabase db) =>
        await db.ScalarAsync<long>("SELECT (SELECT count(*) FROM cloudshelf.books) + (SELECT count(*) FROM cloudshelf.users) + (SELECT count(*) FROM cloudshelf.orders)");

    [Fact]
    public async Task Every_item_of_every_table_is_loaded_and_edge_cases_round_trip()
    {
        await using var db = await DatabaseAsync();

        var summary = await RunAsync(db);

        Assert.True(summary.Done);
        Assert.Equal(Total, summary.ItemsScanned);
        Assert.Equal(Total, summary.ItemsWritten);
        Assert.Equal(Total, await RowsAsync(db));
        Assert.Equal(Enumerable.Range(0, BackfillSeed.Orders).Sum(i => i % 4 + 1), await db.ScalarAsync<long>("SELECT count(*) FROM cloudshelf.order_items"));
        var edge = await db.ItemAsync(Books, "book-edge");
        Assert.True(ItemEquality.Equal(seed.EdgeBook, edge!), DynamoJson.SerializeItem(edge!));
        Assert.Equal("12345678901234567890.123456789012345678", await db.ScalarAsync<string>("SELECT price::text FROM cloudshelf.books WHERE book_id = 'book-edge'"));
    }

    [Fact]
    public async Task A_stream_update_and_a_stream_delete_applied_before_the_backfill_both_survive_it()
    {
        await using var db = await DatabaseAsync();
        // The streams were enabled first: these changes reached PostgreSQL before the backfill ran.
        await db.HandleAsync(Modify(Books, "900", Book("book-000007", price: "1.11")), Remove(Users, "901", "user-000042"));

        await RunAsync(db);

        Assert.Equal("1.11", await db.ScalarAsync<string>("SELECT price::text FROM cloudshelf.books WHERE book_id = 'book-000007'"));
        Assert.Equal(0L, await db.ScalarAsync<long>("SELECT count(*) FROM cloudshelf.users WHERE user_id = 'user-000042'"));
        Assert.Equal(Total - 1, await RowsAsync(db));
    }

    [Fact]
    public async Task A_run_killed_midway_resumes_from_its_checkpoints()
    {
        await using var db = await DatabaseAsync();
        using var kill = new CancellationTokenSource();
        var seen = 0;
        var progress = new SynchronousProgress(n =>
        {
            if (Interlocked.Add(ref seen, n) >= Total / 3) kill.Cancel();
        });

        var first = await Xunit.Record.ExceptionAsync(() => RunAsync(db, progress: progress, cancellationToken: kill.Token));
        var partial = await RowsAsync(db);
        var pagesBefore = await db.ScalarAsync<long>("SELECT sum(pages)::bigint FROM cloudshelf_sync.backfill_segments");
        var resumed = await RunAsync(db);

        Assert.IsAssignableFrom<OperationCanceledException>(first);
        Assert.InRange(partial, 1, Total - 1);
        Assert.True(resumed.Done);
        Assert.Equal(Total, await RowsAsync(db));
        // The resumed run did not start again from zero: it scanned only what was left (plus at most the interrupted pages).
        var pagesAfter = await db.ScalarAsync<long>("SELECT sum(pages)::bigint FROM cloudshelf_sync.backfill_segments");
        Assert.InRange(pagesAfter - pagesBefore, 1, (Total - partial) / 500 + 3 * 4 + 1);
    }

    [Fact]
    public async Task A_second_run_changes_nothing()
    {
        await using var db = await DatabaseAsync();
        await RunAsync(db);
        var before = await db.SnapshotAsync();

        var again = await RunAsync(db, restart: true);

        Assert.Equal(Total, again.ItemsScanned);
        Assert.Equal(0, again.ItemsWritten);
        Assert.Equal(before, await db.SnapshotAsync());
    }

    [Fact]
    public async Task The_backfill_function_continues_a_segment_across_invocations_until_done()
    {
        await using var db = await DatabaseAsync();
        var function = CloudShelf.Sync.Hosting.FunctionCatalog.Create("backfill", db.Services);
        var context = new CloudShelf.Sync.Hosting.InvocationContext("req", DateTimeOffset.UtcNow.AddMinutes(1), null, null);
        var input = System.Text.Encoding.UTF8.GetBytes("""{"table":"users","segment":1,"totalSegments":2,"pageSize":200}""");
        var invocations = 0;
        System.Text.Json.JsonElement output;
        do
        {
            // Each invocation gets a budget too short for the whole segment, as a Lambda near its timeout.
            using var budget = new CancellationTokenSource(TimeSpan.FromMilliseconds(150));
            var bytes = await function.HandleAsync(input, context, budget.Token);
            output = System.Text.Json.JsonDocument.Parse(bytes).RootElement;
            input = bytes;
            invocations++;
        }
        while (!output.GetProperty("done").GetBoolean() && invocations < 200);

        Assert.True(invocations > 1, "the segment fit in one invocation; the budget did not bite");
        Assert.Equal("cloudshelf-users", output.GetProperty("table").GetString());
        var rows = await db.ScalarAsync<long>("SELECT count(*) FROM cloudshelf.users");
        Assert.Equal(rows, output.GetProperty("itemsWritten").GetInt64());
        Assert.Equal(rows, output.GetProperty("itemsScanned").GetInt64());
        Assert.InRange(rows, BackfillSeed.Users / 4, BackfillSeed.Users * 3 / 4);
    }

    [Fact]
    public async Task Throttled_scans_are_retried_with_backoff()
    {
        await using var db = await DatabaseAsync();
        var real = db.Services.DynamoDb;
        var throttled = 0;
        var dynamo = new Moq.Mock<IAmazonDynamoDB>(Moq.MockBehavior.Strict);
        dynamo.Setup(d => d.ScanAsync(Moq.It.IsAny<ScanRequest>(), Moq.It.IsAny<CancellationToken>()))
            .Returns((ScanRequest request, CancellationToken ct) => Interlocked.Increment(ref throttled) <= 2
                ? throw new ProvisionedThroughputExceededException("Rate of requests exceeds the allowed throughput.")
                : real.ScanAsync(request, ct));
        var backfiller = new Backfiller(dynamo.Object, db.Services.DataSource,
            new CloudShelf.Sync.Postgres.ChangeWriter(db.Services.DataSource, db.Services.Mapping), Observability.NullLog.Instance, TimeProvider.System);

        var progress = await backfiller.RunSegmentAsync(db.Services.Mapping.ForTable("orders")!, 0, 8, new BackfillOptions(), null, CancellationToken.None);

        Assert.True(progress.Done);
        Assert.True(throttled > 2);
        Assert.Equal(progress.ItemsScanned, await db.ScalarAsync<long>("SELECT count(*) FROM cloudshelf.orders"));
    }

    [Fact]
    public async Task The_CLI_invokes_the_backfill_function_with_the_sample_segment()
    {
        var connection = await fixture.Server.CreateDatabaseAsync(fixture.TemplateName);
        using var output = new StringWriter();
        using var error = new StringWriter();
        using var input = new MemoryStream();
        using var inputReader = new StreamReader(input);
        var environment = new DictionaryEnvironment(new Dictionary<string, string>
        {
            [SyncSettings.PostgresConnectionVariable] = connection,
            [SyncSettings.DynamoDbEndpointVariable] = seed.Endpoint,
        });

        var code = await CloudShelf.Sync.Cli.CliApplication.RunAsync(
            ["invoke", "backfill", "--event", Path.Combine(AppContext.BaseDirectory, "events", "backfill", "segment.json")],
            new CloudShelf.Sync.Cli.CliConsole(inputReader, input, output, error, false), environment, TimeProvider.System, CancellationToken.None);

        Assert.Equal(0, code);
        using var response = System.Text.Json.JsonDocument.Parse(output.ToString());
        Assert.True(response.RootElement.GetProperty("done").GetBoolean());
        Assert.Equal("cloudshelf-books", response.RootElement.GetProperty("table").GetString());
        Assert.InRange(response.RootElement.GetProperty("itemsWritten").GetInt64(), BackfillSeed.Books / 8, BackfillSeed.Books / 2);
    }

    private sealed class SynchronousProgress(Action<int> report) : IProgress<int>
    {
        public void Report(int value) => report(value);
    }
}
