using System.Text.Json;
using CloudShelf.Sync.IntegrationTests.Infrastructure;
using CloudShelf.Sync.StreamReading;
using CloudShelf.Sync.Streams;
using static CloudShelf.Sync.Testing.Items;

namespace CloudShelf.Sync.IntegrationTests.StreamReading;

/// <summary>The stream reader against DynamoDB Local's own Streams API.</summary>
[Collection(StreamsCollection.Name)]
public sealed class StreamReaderTests(DynamoDbLocalFixture dynamo)
{
    private static DynamoDbStreamsClient Client(StreamTables tables) =>
        DynamoDbStreamsClient.Create(Configuration.SyncSettings.Load(new Configuration.DictionaryEnvironment(new Dictionary<string, string>(tables.Settings)
        {
            [Configuration.SyncSettings.PostgresConnectionVariable] = "Host=unused",
        })), TimeProvider.System);

    [Fact]
    public async Task Every_change_is_read_from_the_trim_horizon_as_lambda_delivers_it()
    {
        using var tables = await StreamTables.CreateAsync(dynamo);
        var book = Book("book-1", "12345678901234567890123456789012345678");
        book["blob"] = AttributeValue.FromB([0, 1, 254, 255]);
        await tables.PutAsync(tables.Books, book);
        book["title"] = S("Piranesi, revised");
        await tables.PutAsync(tables.Books, book);
        await tables.DeleteAsync(tables.Books, "bookId", "book-1");
        var arn = await tables.StreamArnAsync(tables.Books);
        using var client = Client(tables);
        var reader = new DynamoDbStreamReader(client, TimeProvider.System);

        var tree = await reader.DescribeStreamAsync(arn, CancellationToken.None);
        var records = new List<DynamoDBStreamRecord>();
        foreach (var shard in tree.Shards)
            records.AddRange((await reader.ReadShardAsync(arn, shard, StreamPosition.TrimHorizon, new ShardReadBudget(100, TimeSpan.FromSeconds(5)), CancellationToken.None)).Records);

        Assert.Equal(["INSERT", "MODIFY", "REMOVE"], records.Select(r => r.EventName));
        Assert.All(records, r =>
        {
            Assert.Equal(arn, r.EventSourceArn);
            Assert.Equal("aws:dynamodb", r.EventSource);
            Assert.False(string.IsNullOrEmpty(r.EventId));
            Assert.False(string.IsNullOrEmpty(r.EventVersion));
            Assert.False(string.IsNullOrEmpty(r.AwsRegion));
            Assert.Equal("NEW_AND_OLD_IMAGES", r.Dynamodb!.StreamViewType);
            Assert.True(r.Dynamodb.SizeBytes > 0);
            Assert.Equal(0, r.Dynamodb.ApproximateCreationDateTime!.Value.ToUnixTimeMilliseconds() % 1000);
            Assert.True(SequenceNumbers.IsValid(r.Dynamodb.SequenceNumber));
        });
        Assert.True(ItemEquality.Equal(book.Where(a => a.Key != "title").ToDictionary(), records[0].Dynamodb!.NewImage!.Where(a => a.Key != "title").ToDictionary()));
        Assert.Equal("12345678901234567890123456789012345678", records[0].Dynamodb!.NewImage!["price"].N);
        Assert.Equal("Piranesi, revised", records[1].Dynamodb!.NewImage!["title"].S);
        Assert.Equal("Piranesi", records[1].Dynamodb!.OldImage!["title"].S);
        Assert.Null(records[2].Dynamodb!.NewImage);

        // The event the mapping hands stream-sync: binary as base64, the creation time as epoch seconds.
        var json = JsonSerializer.Serialize(new DynamoDBEvent { Records = records }, StreamJsonContext.Default.DynamoDBEvent);
        using var document = JsonDocument.Parse(json);
        var first = document.RootElement.GetProperty("Records")[0];
        Assert.Equal(Convert.ToBase64String([0, 1, 254, 255]), first.GetProperty("dynamodb").GetProperty("NewImage").GetProperty("blob").GetProperty("B").GetString());
        Assert.Equal(JsonValueKind.Number, first.GetProperty("dynamodb").GetProperty("ApproximateCreationDateTime").ValueKind);
        Assert.Equal(arn, first.GetProperty("eventSourceARN").GetString());
    }

    [Fact]
    public async Task After_a_sequence_number_reading_continues_with_the_next_record_and_latest_sees_only_new_ones()
    {
        using var tables = await StreamTables.CreateAsync(dynamo);
        for (var i = 0; i < 5; i++) await tables.PutAsync(tables.Users, User($"user-{i}", $"u{i}@example.com"));
        var arn = await tables.StreamArnAsync(tables.Users);
        using var client = Client(tables);
        var reader = new DynamoDbStreamReader(client, TimeProvider.System);
        var shard = Assert.Single((await reader.DescribeStreamAsync(arn, CancellationToken.None)).Shards, s => !s.IsClosed);

        var firstTwo = await reader.ReadShardAsync(arn, shard, StreamPosition.TrimHorizon, new ShardReadBudget(2, TimeSpan.FromSeconds(5)), CancellationToken.None);
        var rest = await reader.ReadShardAsync(arn, shard, firstTwo.Next, new ShardReadBudget(100, TimeSpan.FromSeconds(5)), CancellationToken.None);
        var latest = reader.OpenShard(arn, shard, StreamPosition.Latest);
        var beforeWrite = await latest.ReadAsync(new ShardReadBudget(100, TimeSpan.FromSeconds(5)), CancellationToken.None);
        await tables.PutAsync(tables.Users, User("user-new", "new@example.com"));
        var afterWrite = await latest.ReadAsync(new ShardReadBudget(100, TimeSpan.FromSeconds(5)), CancellationToken.None);

        Assert.Equal(["user-0", "user-1"], firstTwo.Records.Select(r => r.Dynamodb!.Keys!["userId"].S));
        Assert.Equal(ShardIteratorType.AFTER_SEQUENCE_NUMBER, firstTwo.Next.Type);
        Assert.Equal(["user-2", "user-3", "user-4"], rest.Records.Select(r => r.Dynamodb!.Keys!["userId"].S));
        Assert.False(rest.Ended);
        Assert.Empty(beforeWrite.Records);
        Assert.Equal(["user-new"], afterWrite.Records.Select(r => r.Dynamodb!.Keys!["userId"].S));
    }
}
