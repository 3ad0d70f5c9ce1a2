using Amazon.DynamoDBv2;
using Amazon.DynamoDBv2.Model;
using CloudShelf.Sync.Configuration;
using CloudShelf.Sync.Dynamo;
using CloudShelf.Sync.IntegrationTests.Infrastructure;
using CloudShelf.Sync.Lag;
using CloudShelf.Sync.Observability;
using CloudShelf.Sync.StreamReading;
using CloudShelf.Sync.Streams;
using CloudShelf.Sync.Testing;
using DynamoAttribute = Amazon.DynamoDBv2.Model.AttributeValue;

namespace CloudShelf.Sync.IntegrationTests.Lag;

/// <summary>
/// Three fresh DynamoDB Local tables with NEW_AND_OLD_IMAGES streams, a fresh PostgreSQL database, and
/// stream-sync applying what a test chooses to deliver: the mapping's part played by hand, so a test
/// decides which records PostgreSQL gets.
/// </summary>
public sealed class LagStack : IAsyncDisposable
{
    private readonly DynamoDbStreamsClient _streamsClient;

    private LagStack(SyncDatabase db, Dictionary<string, string> environment, DynamoDbStreamsClient streamsClient)
    {
        Db = db;
        Environment = environment;
        _streamsClient = streamsClient;
        Settings = SyncSettings.Load(new DictionaryEnvironment(environment));
    }

    /// <summary>The database and the sync's services over it.</summary>
    public SyncDatabase Db { get; }

    /// <summary>The environment the services were built from (for CLI runs).</summary>
    public Dictionary<string, string> Environment { get; }

    /// <summary>The settings.</summary>
    public SyncSettings Settings { get; }

    /// <summary>The books table of this test.</summary>
    public string Books => Settings.Tables.Books;

    /// <summary>The metrics of the monitors this stack builds (flush to see them in <see cref="SyncDatabase.Output"/>).</summary>
    public EmfMetrics Metrics { get; private set; } = null!;

    /// <summary>The DynamoDB client.</summary>
    public IAmazonDynamoDB DynamoDb => Db.Services.DynamoDb;

    /// <summary>Creates the tables and the database.</summary>
    public static async Task<LagStack> CreateAsync(SyncServerFixture postgres, DynamoDbLocalFixture dynamo, Dictionary<string, string>? extra = null)
    {
        var prefix = "t" + Guid.NewGuid().ToString("N")[..10];
        var environment = new Dictionary<string, string>(extra ?? [])
        {
            [SyncSettings.BooksTableVariable] = prefix + "-books",
            [SyncSettings.UsersTableVariable] = prefix + "-users",
            [SyncSettings.OrdersTableVariable] = prefix + "-orders",
            [SyncSettings.DynamoDbEndpointVariable] = dynamo.Server.Endpoint,
        };
        var db = await SyncDatabase.CreateAsync(postgres, settings: environment);
        environment[SyncSettings.PostgresConnectionVariable] = db.ConnectionString;
        var settings = SyncSettings.Load(new DictionaryEnvironment(environment));
        foreach (var table in db.Services.Mapping.Tables)
        {
            await db.Services.DynamoDb.CreateTableAsync(new CreateTableRequest
            {
                TableName = table.SourceTable,
                KeySchema = [new KeySchemaElement(table.KeyAttribute, KeyType.HASH)],
                AttributeDefinitions = [new AttributeDefinition(table.KeyAttribute, ScalarAttributeType.S)],
                BillingMode = BillingMode.PAY_PER_REQUEST,
                StreamSpecification = new StreamSpecification { StreamEnabled = true, StreamViewType = StreamViewType.NEW_AND_OLD_IMAGES },
            });
        }
        return new LagStack(db, environment, DynamoDbStreamsClient.Create(settings, TimeProvider.System));
    }

    /// <summary>A sync-lag monitor over this stack with its own clock (and settings overrides).</summary>
    public SyncLagMonitor Monitor(TimeProvider clock, LagSettings? lag = null, IDynamoDbStreams? streams = null)
    {
        var services = Db.Services;
        var output = TextWriter.Synchronized(Db.Output);
        lag ??= Settings.Lag;
        Metrics = new EmfMetrics(output, "cloudshelf-sync", clock);
        return new SyncLagMonitor(services.Mapping, new StreamArnSource(lag, () => services.DynamoDb),
            new DynamoDbStreamReader(streams ?? _streamsClient, TimeProvider.System),
            new ShardCheckpointStore(services.DataSource, SyncLagMonitor.Consumer), new LagStore(services.DataSource), lag,
            new JsonLogger(output, new LogContext { FunctionName = "sync-lag" }, clock, LogLevel.Debug),
            Metrics, clock);
    }

    /// <summary>Writes a book.</summary>
    public Task PutBookAsync(string id, string price = "10.00", int stock = 1) =>
        DynamoDb.PutItemAsync(Books, new Dictionary<string, DynamoAttribute>
        {
            ["bookId"] = new() { S = id },
            ["title"] = new() { S = "Title of " + id },
            ["price"] = new() { N = price },
            ["stock"] = new() { N = stock.ToString(System.Globalization.CultureInfo.InvariantCulture) },
            ["categories"] = new() { SS = ["fiction", "lag"] },
        });

    /// <summary>Deletes a book.</summary>
    public Task DeleteBookAsync(string id) =>
        DynamoDb.DeleteItemAsync(Books, new Dictionary<string, DynamoAttribute> { ["bookId"] = new() { S = id } });

    /// <summary>Every record the books stream holds now, in shard order (read by a reader of the test's own, not sync-lag's).</summary>
    public async Task<IReadOnlyList<DynamoDBStreamRecord>> BookRecordsAsync()
    {
        var reader = new DynamoDbStreamReader(_streamsClient, TimeProvider.System);
        var arn = await new StreamArnSource(Settings.Lag, () => DynamoDb).StreamArnAsync(Db.Services.Mapping.ForSourceTable(Books)!, CancellationToken.None);
        var tree = await reader.DescribeStreamAsync(arn, CancellationToken.None);
        var records = new List<DynamoDBStreamRecord>();
        foreach (var shard in tree.Shards)
        {
            var result = await reader.ReadShardAsync(arn, shard, StreamPosition.TrimHorizon, new ShardReadBudget(10_000, TimeSpan.FromSeconds(30)),
                CancellationToken.None);
            records.AddRange(result.Records);
        }
        return records;
    }

    /// <summary>Delivers records to stream-sync as one batch and checks it succeeded.</summary>
    public async Task ApplyAsync(IEnumerable<DynamoDBStreamRecord> records)
    {
        var batch = records.ToArray();
        if (batch.Length == 0) return;
        var response = await Db.HandleAsync(batch);
        Assert.Empty(response.BatchItemFailures);
    }

    /// <summary>Asserts that every books item in DynamoDB is in PostgreSQL as it is, and nothing else.</summary>
    public Task AssertBooksEqualAsync() => AssertTableEqualAsync(Db.Services.Mapping.ForSourceTable(Books)!);

    /// <summary>Both stores in full: every table's items in DynamoDB are its rows in PostgreSQL, and nothing else.</summary>
    public async Task AssertStoresEqualAsync()
    {
        foreach (var table in Db.Services.Mapping.Tables) await AssertTableEqualAsync(table);
    }

    private async Task AssertTableEqualAsync(Mapping.TableMapping table)
    {
        var items = await ConsistentScan.ItemsByKeyAsync(DynamoDb, table.SourceTable, table.KeyAttribute);

        Assert.Equal(items.Count, await Db.ScalarAsync<long>($"SELECT count(*) FROM cloudshelf.{table.Table}"));
        foreach (var (key, item) in items)
        {
            var stored = await Db.ItemAsync(table.SourceTable, key);
            Assert.NotNull(stored);
            Assert.True(ItemEquality.Equal(item, stored), $"{table.Table} {key} differs between DynamoDB and PostgreSQL");
        }
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        _streamsClient.Dispose();
        await Db.DisposeAsync();
    }
}
