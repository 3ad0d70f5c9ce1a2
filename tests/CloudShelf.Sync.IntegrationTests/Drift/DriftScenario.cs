using Amazon.DynamoDBv2;
using Amazon.DynamoDBv2.Model;
using Amazon.Runtime;
using CloudShelf.Sync.Backfill;
using CloudShelf.Sync.Configuration;
using CloudShelf.Sync.Drift;
using CloudShelf.Sync.Dynamo;
using CloudShelf.Sync.IntegrationTests.Infrastructure;
using CloudShelf.Sync.Lag;
using CloudShelf.Sync.Mapping;
using CloudShelf.Sync.Observability;
using CloudShelf.Sync.Postgres;
using CloudShelf.Sync.StreamReading;
using CloudShelf.Sync.Streams;
using CloudShelf.Sync.Testing;
using AttributeValue = CloudShelf.Sync.Streams.AttributeValue;

namespace CloudShelf.Sync.IntegrationTests.Drift;

/// <summary>
/// Three DynamoDB tables of their own (in the collection's DynamoDB Local) and a fresh database, loaded
/// by the backfill so that both stores start equal; then a test tampers with one side and runs drift.
/// </summary>
internal sealed class DriftScenario : IAsyncDisposable
{
    private static int _counter;

    private DriftScenario(SyncDatabase db, AmazonDynamoDBClient client, SourceTableNames names)
    {
        Db = db;
        Client = client;
        Names = names;
    }

    public SyncDatabase Db { get; }

    public AmazonDynamoDBClient Client { get; }

    public SourceTableNames Names { get; }

    public SyncMapping Mapping => Db.Services.Mapping;

    public static async Task<DriftScenario> CreateAsync(SyncServerFixture postgres, DynamoDbLocalFixture dynamo,
        IEnumerable<Dictionary<string, AttributeValue>> books, IEnumerable<Dictionary<string, AttributeValue>>? users = null,
        IEnumerable<Dictionary<string, AttributeValue>>? orders = null)
    {
        var prefix = $"drift{Interlocked.Increment(ref _counter)}-{Guid.NewGuid():N}"[..16];
        var names = new SourceTableNames($"{prefix}-books", $"{prefix}-users", $"{prefix}-orders");
        var db = await SyncDatabase.CreateAsync(postgres, settings: new()
        {
            [SyncSettings.DynamoDbEndpointVariable] = dynamo.Server.Endpoint,
            [SyncSettings.BooksTableVariable] = names.Books,
            [SyncSettings.UsersTableVariable] = names.Users,
            [SyncSettings.OrdersTableVariable] = names.Orders,
        });
        var client = new AmazonDynamoDBClient(new BasicAWSCredentials("local", "local"),
            new AmazonDynamoDBConfig { ServiceURL = dynamo.Server.Endpoint, AuthenticationRegion = "eu-west-1" });
        var scenario = new DriftScenario(db, client, names);
        await Task.WhenAll(
            scenario.CreateTableAsync(names.Books, "bookId", books),
            scenario.CreateTableAsync(names.Users, "userId", users ?? []),
            scenario.CreateTableAsync(names.Orders, "orderId", orders ?? []));
        var summary = await new BackfillRunner(db.Services.Backfiller, db.Services.DynamoDb)
            .RunAsync(db.Services.Mapping.Tables, 2, 2, new BackfillOptions(PageSize: 100), false, null, CancellationToken.None);
        Assert.True(summary.Done);
        return scenario;
    }

    private async Task CreateTableAsync(string table, string key, IEnumerable<Dictionary<string, AttributeValue>> items)
    {
        await Client.CreateTableAsync(new CreateTableRequest
        {
            TableName = table,
            KeySchema = [new KeySchemaElement(key, KeyType.HASH)],
            AttributeDefinitions = [new AttributeDefinition(key, ScalarAttributeType.S)],
            BillingMode = BillingMode.PAY_PER_REQUEST,
        });
        while ((await Client.DescribeTableAsync(table)).Table.TableStatus != TableStatus.ACTIVE) await Task.Delay(20);
        foreach (var chunk in items.Chunk(25))
        {
            var request = new Dictionary<string, List<WriteRequest>>
            {
                [table] = chunk.Select(i => new WriteRequest(new PutRequest(i.ToDictionary(a => a.Key, a => SdkValues.ToSdk(a.Value))))).ToList(),
            };
            while (request.Count > 0) request = (await Client.BatchWriteItemAsync(request)).UnprocessedItems ?? [];
        }
    }

    /// <summary>A detector over this scenario's services, with an optional pending-changes source, clock and read limiter.</summary>
    public DriftDetector Detector(IPendingChanges? pending = null, TimeProvider? time = null, Func<double, IReadCapacityLimiter>? limiter = null) =>
        new(Db.Services.DynamoDb, Db.Services.DataSource, Mapping,
            new DriftRepairer(Db.Services.DataSource, new ChangeWriter(Db.Services.DataSource, Mapping), Mapping),
            Db.Services.Log, Db.Services.Metrics, time ?? TimeProvider.System, pending, limiter);

    /// <summary>Turns on a NEW_AND_OLD_IMAGES stream for a table after its load: the stream holds only later changes.</summary>
    public async Task EnableStreamAsync(string table)
    {
        await Client.UpdateTableAsync(new UpdateTableRequest
        {
            TableName = table,
            StreamSpecification = new StreamSpecification { StreamEnabled = true, StreamViewType = StreamViewType.NEW_AND_OLD_IMAGES },
        });
        while ((await Client.DescribeTableAsync(table)).Table.TableStatus != TableStatus.ACTIVE) await Task.Delay(20);
    }

    /// <summary>sync-lag over this scenario's services, on its own clock.</summary>
    public SyncLagMonitor LagMonitor(TimeProvider clock)
    {
        var services = Db.Services;
        return new SyncLagMonitor(Mapping, new StreamArnSource(services.Settings.Lag, () => services.DynamoDb), services.StreamReader,
            new ShardCheckpointStore(services.DataSource, SyncLagMonitor.Consumer), new LagStore(services.DataSource),
            services.Settings.Lag, services.Log, services.Metrics, clock);
    }

    /// <summary>Every record a table's stream holds now, in shard order.</summary>
    public async Task<List<DynamoDBStreamRecord>> StreamRecordsAsync(string table)
    {
        var reader = Db.Services.StreamReader;
        var arn = (await Client.DescribeTableAsync(table)).Table.LatestStreamArn;
        var records = new List<DynamoDBStreamRecord>();
        foreach (var shard in (await reader.DescribeStreamAsync(arn, CancellationToken.None)).Shards)
        {
            var read = await reader.ReadShardAsync(arn, shard, StreamPosition.TrimHorizon,
                new ShardReadBudget(10_000, TimeSpan.FromSeconds(30)), CancellationToken.None);
            records.AddRange(read.Records);
        }
        return records;
    }

    public static DriftOptions Options(bool repair = false, double? sample = null, TimeSpan? budget = null, int pageSize = 50) => new()
    {
        Repair = repair,
        SampleFraction = sample,
        Segments = 4,
        Parallelism = 2,
        PageSize = pageSize,
        TimeBudget = budget,
        RecheckDelay = TimeSpan.FromMilliseconds(20),
    };

    public Task PutAsync(string table, Dictionary<string, AttributeValue> item) =>
        Client.PutItemAsync(table, item.ToDictionary(a => a.Key, a => SdkValues.ToSdk(a.Value)));

    public Task DeleteAsync(string table, string keyAttribute, string key) =>
        Client.DeleteItemAsync(table, new Dictionary<string, Amazon.DynamoDBv2.Model.AttributeValue> { [keyAttribute] = new() { S = key } });

    public async Task ExecuteAsync(string sql)
    {
        await using var command = Db.Services.DataSource.CreateCommand(sql);
        await command.ExecuteNonQueryAsync();
    }

    /// <summary>A stream record for one of this scenario's tables.</summary>
    public DynamoDBStreamRecord Stream(string table, string eventName, string sequence, string keyAttribute, Dictionary<string, AttributeValue> image) =>
        StreamEvents.Record(table, eventName, sequence, new() { [keyAttribute] = image[keyAttribute] }, image, null);

    /// <summary>Open findings as (table, key, kind, attributes) lines, sorted.</summary>
    public async Task<List<string>> OpenFindingsAsync()
    {
        await using var command = Db.Services.DataSource.CreateCommand("""
            SELECT target_table || ' ' || item_key || ' ' || kind || coalesce(' ' || nullif(array_to_string(attributes, ','), ''), '')
                   || CASE WHEN in_flight THEN ' in-flight' ELSE '' END
            FROM cloudshelf_sync.drift_findings WHERE resolved_at IS NULL ORDER BY 1
            """);
        var lines = new List<string>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync()) lines.Add(reader.GetString(0));
        return lines;
    }

    /// <summary>
    /// Both stores in full: every DynamoDB item of every table equals the item rebuilt from its row,
    /// and PostgreSQL has no row DynamoDB lacks.
    /// </summary>
    public async Task AssertStoresEqualAsync()
    {
        foreach (var table in Mapping.Tables)
        {
            var items = await ConsistentScan.ItemsByKeyAsync(Client, table.SourceTable, table.KeyAttribute);
            var rows = await Db.ScalarAsync<long>($"SELECT count(*) FROM cloudshelf.{table.Table}");
            Assert.Equal(items.Count, rows);
            var stored = await new RowReader(Db.Services.DataSource).ReadItemsAsync(table, items.Keys.ToList());
            foreach (var (key, item) in items)
            {
                Assert.True(stored.TryGetValue(key, out var row), $"{table.Table} {key} has no row");
                Assert.True(ItemEquality.Equal(item, row!), $"{table.Table} {key}: {DynamoJson.SerializeItem(row!)} is not {DynamoJson.SerializeItem(item)}");
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await Db.DisposeAsync();
    }
}
