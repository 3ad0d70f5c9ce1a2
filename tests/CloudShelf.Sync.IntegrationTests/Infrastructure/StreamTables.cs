using Amazon.DynamoDBv2;
using Amazon.DynamoDBv2.Model;
using Amazon.Runtime;
using CloudShelf.Sync.Configuration;
using CloudShelf.Sync.Dynamo;
using CloudShelf.Sync.Postgres;
using CloudShelf.Sync.Testing;
using AttributeValue = CloudShelf.Sync.Streams.AttributeValue;

namespace CloudShelf.Sync.IntegrationTests.Infrastructure;

/// <summary>
/// The four CloudShelf tables (books, users, orders and the unsynced carts) with NEW_AND_OLD_IMAGES
/// streams in DynamoDB Local, under a prefix of their own so that tests sharing the server never see
/// each other's tables or streams.
/// </summary>
public sealed class StreamTables : IDisposable
{
    private StreamTables(string endpoint, string prefix)
    {
        Endpoint = endpoint;
        Books = prefix + "-books";
        Users = prefix + "-users";
        Orders = prefix + "-orders";
        Carts = prefix + "-carts";
        Client = new AmazonDynamoDBClient(new BasicAWSCredentials("local", "local"),
            new AmazonDynamoDBConfig { ServiceURL = endpoint, AuthenticationRegion = "us-east-1" });
    }

    public string Endpoint { get; }
    public string Books { get; }
    public string Users { get; }
    public string Orders { get; }
    public string Carts { get; }
    public AmazonDynamoDBClient Client { get; }

    /// <summary>The settings that point the sync at these tables.</summary>
    public Dictionary<string, string> Settings => new()
    {
        [SyncSettings.DynamoDbEndpointVariable] = Endpoint,
        [SyncSettings.BooksTableVariable] = Books,
        [SyncSettings.UsersTableVariable] = Users,
        [SyncSettings.OrdersTableVariable] = Orders,
    };

    public static async Task<StreamTables> CreateAsync(DynamoDbLocalFixture fixture, StreamViewType? viewType = null)
    {
        var tables = new StreamTables(fixture.Server.Endpoint, "t" + Guid.NewGuid().ToString("N")[..10]);
        await Task.WhenAll(
            tables.CreateTableAsync(tables.Books, "bookId", viewType),
            tables.CreateTableAsync(tables.Users, "userId", viewType),
            tables.CreateTableAsync(tables.Orders, "orderId", viewType),
            tables.CreateTableAsync(tables.Carts, "userId", viewType));
        return tables;
    }

    public async Task CreateTableAsync(string table, string key, StreamViewType? viewType = null)
    {
        await Client.CreateTableAsync(new CreateTableRequest
        {
            TableName = table,
            KeySchema = [new KeySchemaElement(key, KeyType.HASH)],
            AttributeDefinitions = [new AttributeDefinition(key, ScalarAttributeType.S)],
            BillingMode = BillingMode.PAY_PER_REQUEST,
            StreamSpecification = new StreamSpecification { StreamEnabled = true, StreamViewType = viewType ?? StreamViewType.NEW_AND_OLD_IMAGES },
        });
    }

    public async Task<string> StreamArnAsync(string table) => (await Client.DescribeTableAsync(table)).Table.LatestStreamArn;

    public Task PutAsync(string table, Dictionary<string, AttributeValue> item) =>
        Client.PutItemAsync(new PutItemRequest { TableName = table, Item = item.ToDictionary(a => a.Key, a => SdkValues.ToSdk(a.Value)) });

    public Task DeleteAsync(string table, string keyAttribute, string key) =>
        Client.DeleteItemAsync(new DeleteItemRequest
        {
            TableName = table, Key = new Dictionary<string, Amazon.DynamoDBv2.Model.AttributeValue> { [keyAttribute] = new() { S = key } },
        });

    /// <summary>Every item of a table, by key.</summary>
    public Task<Dictionary<string, Dictionary<string, AttributeValue>>> ScanAsync(string table, string keyAttribute) =>
        ConsistentScan.ItemsByKeyAsync(Client, table, keyAttribute);

    /// <summary>
    /// Scans the synced tables in both stores and asserts that PostgreSQL holds exactly DynamoDB's
    /// items: the same keys, and every item rebuilt from its row equal to DynamoDB's.
    /// </summary>
    public async Task AssertPostgresEqualsDynamoDbAsync(SyncDatabase database)
    {
        foreach (var mapping in database.Services.Mapping.Tables)
        {
            var dynamo = await ScanAsync(mapping.SourceTable, mapping.KeyAttribute);
            var keys = new List<string>();
            await using (var command = database.Services.DataSource.CreateCommand($"SELECT {mapping.KeyColumn} FROM {mapping.Schema}.{mapping.Table}"))
            await using (var reader = await command.ExecuteReaderAsync())
            {
                while (await reader.ReadAsync()) keys.Add(reader.GetString(0));
            }
            Assert.Equal(dynamo.Keys.Order(StringComparer.Ordinal), keys.Order(StringComparer.Ordinal));
            var rows = await new RowReader(database.Services.DataSource).ReadItemsAsync(mapping, keys);
            foreach (var (key, item) in dynamo)
            {
                Assert.True(Streams.ItemEquality.Equal(item, rows[key]),
                    $"{mapping.SourceTable} {key}: DynamoDB {Streams.DynamoJson.SerializeItem(item)} but PostgreSQL {Streams.DynamoJson.SerializeItem(rows[key])}");
            }
        }
    }

    public void Dispose() => Client.Dispose();
}
