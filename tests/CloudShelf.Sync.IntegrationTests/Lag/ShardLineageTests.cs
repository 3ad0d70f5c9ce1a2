using CloudShelf.Sync.Configuration;
using CloudShelf.Sync.IntegrationTests.Infrastructure;
using CloudShelf.Sync.Lag;
using CloudShelf.Sync.Observability;
using CloudShelf.Sync.StreamReading;
using CloudShelf.Sync.Streams;
using Moq;

namespace CloudShelf.Sync.IntegrationTests.Lag;

/// <summary>
/// Shard splits, which DynamoDB Local does not make: the Streams API is a Moq of
/// <see cref="IDynamoDbStreams"/>, PostgreSQL is real.
/// </summary>
[Collection(SyncServerCollection.Name)]
public sealed class ShardLineageTests(SyncServerFixture postgres)
{
    private const string Parent = "shardId-00000001-parent";
    private const string Child = "shardId-00000002-child";

    private static readonly Dictionary<string, string> Arns = new(StringComparer.Ordinal)
    {
        ["cloudshelf-books"] = "arn:aws:dynamodb:us-east-1:123456789012:table/cloudshelf-books/stream/2026-12-01T00:00:00.000",
        ["cloudshelf-users"] = "arn:aws:dynamodb:us-east-1:123456789012:table/cloudshelf-users/stream/2026-12-01T00:00:00.000",
        ["cloudshelf-orders"] = "arn:aws:dynamodb:us-east-1:123456789012:table/cloudshelf-orders/stream/2026-12-01T00:00:00.000",
    };

    private static string BooksArn => Arns["cloudshelf-books"];

    private static StreamsApiRecord Record(string sequence, string bookId) => new()
    {
        EventId = Guid.NewGuid().ToString("N"),
        EventName = "INSERT",
        EventVersion = "1.1",
        EventSource = "aws:dynamodb",
        AwsRegion = "us-east-1",
        Dynamodb = new StreamsApiChange
        {
            ApproximateCreationDateTime = DateTimeOffset.UtcNow.ToUnixTimeSeconds(),
            Keys = new() { ["bookId"] = AttributeValue.FromS(bookId) },
            NewImage = new() { ["bookId"] = AttributeValue.FromS(bookId), ["title"] = AttributeValue.FromS("T") },
            SequenceNumber = sequence,
            SizeBytes = 50,
            StreamViewType = "NEW_AND_OLD_IMAGES",
        },
    };

    private static SyncLagMonitor Monitor(SyncDatabase db, IDynamoDbStreams api)
    {
        var settings = db.Services.Settings.Lag with { StreamArns = Arns };
        var ds = db.Services.DataSource;
        return new SyncLagMonitor(db.Services.Mapping, new StreamArnSource(settings, () => throw new InvalidOperationException("no DescribeTable here")),
            new DynamoDbStreamReader(api, TimeProvider.System), new ShardCheckpointStore(ds, SyncLagMonitor.Consumer), new LagStore(ds), settings,
            NullLog.Instance, new EmfMetrics(TextWriter.Null, "cloudshelf-sync", TimeProvider.System), TimeProvider.System);
    }

    private static Mock<IDynamoDbStreams> Api(List<string> calls, params StreamShard[] bookShards)
    {
        var api = new Mock<IDynamoDbStreams>(MockBehavior.Strict);
        api.Setup(a => a.DescribeStreamAsync(It.IsAny<string>(), null, It.IsAny<CancellationToken>()))
            .ReturnsAsync((string arn, string? _, CancellationToken _) =>
                new StreamDescriptionPage(arn, null, "ENABLED", "NEW_AND_OLD_IMAGES", arn == BooksArn ? bookShards : [], null));
        api.Setup(a => a.GetShardIteratorAsync(BooksArn, It.IsAny<string>(), It.IsAny<ShardIteratorType>(), It.IsAny<string?>(), It.IsAny<CancellationToken>()))
            .ReturnsAsync((string _, string shard, ShardIteratorType type, string? sequence, CancellationToken _) =>
            {
                calls.Add($"iterator {shard} {type} {sequence}".TrimEnd());
                return $"{shard}/0";
            });
        return api;
    }

    [Fact]
    public async Task A_child_shard_is_read_only_after_its_parent_has_been_read_to_its_end()
    {
        await using var db = await SyncDatabase.CreateAsync(postgres);
        var calls = new List<string>();
        var api = Api(calls,
            new StreamShard(Parent, null, "100000000000000000001", "100000000000000000099"),
            new StreamShard(Child, Parent, "200000000000000000001", null));
        api.Setup(a => a.GetRecordsAsync($"{Parent}/0", It.IsAny<int>(), It.IsAny<CancellationToken>()))
            .Callback(() => calls.Add($"records {Parent}"))
            .ReturnsAsync(new RecordsPage([Record("100000000000000000001", "book-1"), Record("100000000000000000002", "book-2")], null));
        api.Setup(a => a.GetRecordsAsync($"{Child}/0", It.IsAny<int>(), It.IsAny<CancellationToken>()))
            .Callback(() => calls.Add($"records {Child}"))
            .ReturnsAsync(new RecordsPage([Record("200000000000000000001", "book-1")], $"{Child}/1"));
        api.Setup(a => a.GetRecordsAsync($"{Child}/1", It.IsAny<int>(), It.IsAny<CancellationToken>()))
            .ReturnsAsync(new RecordsPage([], $"{Child}/2"));

        var report = await Monitor(db, api.Object).RunAsync(CancellationToken.None);

        Assert.Equal(
            [$"iterator {Parent} TRIM_HORIZON", $"records {Parent}", $"iterator {Child} TRIM_HORIZON", $"records {Child}"],
            calls);
        var books = report.Tables.Single(t => t.Table == "books");
        Assert.Equal((3, 3L, true), (books.RecordsRead, books.UnappliedChanges, books.CaughtUp));
        var checkpoints = await new ShardCheckpointStore(db.Services.DataSource, SyncLagMonitor.Consumer).ReadAsync(BooksArn, CancellationToken.None);
        Assert.Equal(new ShardCheckpoint(Parent, "100000000000000000002", true), checkpoints[Parent]);
        Assert.Equal(new ShardCheckpoint(Child, "200000000000000000001", false), checkpoints[Child]);
    }

    [Fact]
    public async Task A_finished_parent_is_not_read_again_and_its_child_goes_on_from_its_checkpoint_once_the_parent_is_trimmed()
    {
        await using var db = await SyncDatabase.CreateAsync(postgres);
        var store = new ShardCheckpointStore(db.Services.DataSource, SyncLagMonitor.Consumer);
        await store.SaveAsync(BooksArn, Parent, "100000000000000000002", true, CancellationToken.None);
        await store.SaveAsync(BooksArn, Child, "200000000000000000001", false, CancellationToken.None);
        var calls = new List<string>();
        // 24 hours on, DescribeStream no longer lists the parent.
        var api = Api(calls, new StreamShard(Child, Parent, "200000000000000000001", null));
        api.Setup(a => a.GetRecordsAsync($"{Child}/0", It.IsAny<int>(), It.IsAny<CancellationToken>()))
            .ReturnsAsync(new RecordsPage([Record("200000000000000000007", "book-9")], $"{Child}/1"));
        api.Setup(a => a.GetRecordsAsync($"{Child}/1", It.IsAny<int>(), It.IsAny<CancellationToken>()))
            .ReturnsAsync(new RecordsPage([], $"{Child}/2"));

        var report = await Monitor(db, api.Object).RunAsync(CancellationToken.None);

        Assert.Equal([$"iterator {Child} AFTER_SEQUENCE_NUMBER 200000000000000000001"], calls);
        Assert.Equal(1, report.Tables.Single(t => t.Table == "books").RecordsRead);
        Assert.Equal("200000000000000000007", (await store.ReadAsync(BooksArn, CancellationToken.None))[Child].SequenceNumber);
    }
}
