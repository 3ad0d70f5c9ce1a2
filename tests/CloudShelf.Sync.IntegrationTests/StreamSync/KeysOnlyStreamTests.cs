using Amazon.DynamoDBv2;
using Amazon.DynamoDBv2.Model;
using Amazon.Runtime;
using CloudShelf.Sync.Configuration;
using CloudShelf.Sync.Dynamo;
using CloudShelf.Sync.IntegrationTests.Infrastructure;
using CloudShelf.Sync.Streams;
using CloudShelf.Sync.StreamSync;
using AttributeValue = CloudShelf.Sync.Streams.AttributeValue;
using static CloudShelf.Sync.Testing.Items;
using static CloudShelf.Sync.Testing.StreamEvents;

namespace CloudShelf.Sync.IntegrationTests.StreamSync;

/// <summary>A stream without new images: the sync reads the current item from DynamoDB (dynalite).</summary>
[Collection(SyncServerCollection.Name)]
public sealed class KeysOnlyStreamTests(SyncServerFixture fixture, DynaliteFixture dynalite) : IClassFixture<DynaliteFixture>
{
    private async Task<AmazonDynamoDBClient> TableAsync(string table)
    {
        var client = new AmazonDynamoDBClient(new BasicAWSCredentials("local", "local"),
            new AmazonDynamoDBConfig { ServiceURL = dynalite.Server.Endpoint, AuthenticationRegion = "eu-west-1" });
        try
        {
            await client.CreateTableAsync(new CreateTableRequest
            {
                TableName = table,
                KeySchema = [new KeySchemaElement("bookId", KeyType.HASH)],
                AttributeDefinitions = [new AttributeDefinition("bookId", ScalarAttributeType.S)],
                BillingMode = BillingMode.PAY_PER_REQUEST,
            });
        }
        catch (ResourceInUseException)
        {
            // Created by another test of this class.
        }
        // dynalite makes a table ACTIVE on a timer, even with --createTableMs 0; until then it
        // answers "resource not found".
        for (var i = 0; (await client.DescribeTableAsync(table)).Table.TableStatus != TableStatus.ACTIVE; i++)
        {
            if (i == 100) throw new TimeoutException($"Table {table} did not become ACTIVE.");
            await Task.Delay(20);
        }
        return client;
    }

    private Task<SyncDatabase> DatabaseAsync(string booksTable) => SyncDatabase.CreateAsync(fixture, settings: new()
    {
        [SyncSettings.DynamoDbEndpointVariable] = dynalite.Server.Endpoint,
        [SyncSettings.BooksTableVariable] = booksTable,
    });

    [Fact]
    public async Task A_keys_only_insert_applies_the_item_read_from_the_table()
    {
        using var client = await TableAsync("keys-only-books");
        var item = Book("book-3e5d7a90");
        item["scans"] = AttributeValue.FromBS([[1, 2, 3]]);
        item["dimensions"] = AttributeValue.FromM(new Dictionary<string, AttributeValue> { ["pages"] = N("320"), ["tags"] = AttributeValue.FromSS(["x"]) });
        await client.PutItemAsync(new PutItemRequest { TableName = "keys-only-books", Item = item.ToDictionary(a => a.Key, a => SdkValues.ToSdk(a.Value)) });
        await using var db = await DatabaseAsync("keys-only-books");
        var record = Record("keys-only-books", "INSERT", "777", new() { ["bookId"] = S("book-3e5d7a90") }, null, null);

        var result = await db.ProcessAsync(record);

        Assert.Equal(RecordOutcome.Applied, Assert.Single(result.Outcomes));
        var stored = await db.ItemAsync("keys-only-books", "book-3e5d7a90");
        Assert.True(ItemEquality.Equal(item, stored!), DynamoJson.SerializeItem(stored!));
    }

    [Fact]
    public async Task The_keys_only_sample_event_reads_its_item()
    {
        using var client = await TableAsync(Books);
        var sample = StreamEventSerializer.ReadEvent(await File.ReadAllBytesAsync(Path.Combine(AppContext.BaseDirectory, "events", "keys-only-insert.json")));
        var key = Assert.Single(sample.Records).Dynamodb!.Keys!["bookId"].S!;
        await client.PutItemAsync(new PutItemRequest { TableName = Books, Item = Book(key).ToDictionary(a => a.Key, a => SdkValues.ToSdk(a.Value)) });
        await using var db = await DatabaseAsync(Books);

        var response = await db.Services.StreamSync.HandleAsync(sample, CancellationToken.None);

        Assert.Empty(response.BatchItemFailures);
        Assert.Equal("Piranesi", await db.ScalarAsync<string>($"SELECT title FROM cloudshelf.books WHERE book_id = '{key}'"));
    }

    [Fact]
    public async Task A_keys_only_insert_of_an_item_deleted_since_is_skipped()
    {
        using var client = await TableAsync("keys-only-books");
        await using var db = await DatabaseAsync("keys-only-books");

        var result = await db.ProcessAsync(Record("keys-only-books", "MODIFY", "5", new() { ["bookId"] = S("book-gone") }, null, null));

        Assert.Equal(RecordOutcome.Skipped, Assert.Single(result.Outcomes));
        Assert.Equal(0L, await db.ScalarAsync<long>("SELECT count(*) FROM cloudshelf.books"));
    }

    [Fact]
    public async Task A_keys_only_record_whose_table_does_not_exist_is_quarantined_with_the_error_not_redelivered_forever()
    {
        // No such table: redelivery cannot help, so after its retries the record waits in quarantine with the error.
        await using var db = await DatabaseAsync("no-such-table");

        var result = await db.ProcessAsync(Record("no-such-table", "INSERT", "9", new() { ["bookId"] = S("book-1") }, null, null));

        Assert.Equal(RecordOutcome.Quarantined, Assert.Single(result.Outcomes));
        Assert.Empty(result.ToResponse().BatchItemFailures);
        var entry = Assert.Single(await db.Services.Quarantine.ListAsync());
        Assert.Equal(("item-read", "book-1"), (entry.ErrorCode, entry.Key));
        Assert.Contains("ResourceNotFoundException", entry.Reason, StringComparison.Ordinal);
    }
}
