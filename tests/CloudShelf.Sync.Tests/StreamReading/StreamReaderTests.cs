using CloudShelf.Sync.StreamReading;
using CloudShelf.Sync.Streams;
using Moq;
using static CloudShelf.Sync.Testing.Items;

namespace CloudShelf.Sync.Tests.StreamReading;

public sealed class StreamReaderTests
{
    private const string Arn = "arn:aws:dynamodb:eu-west-1:123456789012:table/cloudshelf-books/stream/2026-11-20T10:00:00.000";
    private static readonly StreamShard Open = new("shardId-2", "shardId-1", "200", null);
    private static readonly StreamShard Closed = new("shardId-1", null, "100", "199");

    private static StreamsApiRecord ApiRecord(string sequence, string eventName = "INSERT", double created = 1764583200.789, StreamsApiIdentity? identity = null) => new()
    {
        EventId = "e-" + sequence,
        EventName = eventName,
        EventVersion = "1.1",
        EventSource = "aws:dynamodb",
        AwsRegion = "eu-west-1",
        Dynamodb = new StreamsApiChange
        {
            ApproximateCreationDateTime = created,
            Keys = new() { ["bookId"] = S("book-" + sequence) },
            NewImage = eventName == "REMOVE" ? null : new() { ["bookId"] = S("book-" + sequence), ["cover"] = AttributeValue.FromB([1, 2, 255]) },
            OldImage = eventName == "INSERT" ? null : new() { ["bookId"] = S("book-" + sequence) },
            SequenceNumber = sequence,
            SizeBytes = 42,
            StreamViewType = "NEW_AND_OLD_IMAGES",
        },
        UserIdentity = identity,
    };

    private static StreamsApiException Error(string code) => new(code, "from the test", 400);

    [Fact]
    public void A_get_records_record_becomes_the_record_lambda_delivers()
    {
        var ttl = StreamRecordConverter.ToLambdaRecord(
            ApiRecord("101", "REMOVE", identity: new StreamsApiIdentity { Type = "Service", PrincipalId = "dynamodb.amazonaws.com" }), Arn);
        var insert = StreamRecordConverter.ToLambdaRecord(ApiRecord("100"), Arn);

        Assert.Equal(Arn, ttl.EventSourceArn);
        Assert.Equal("e-101", ttl.EventId);
        Assert.Equal("1.1", ttl.EventVersion);
        Assert.Equal("eu-west-1", ttl.AwsRegion);
        Assert.Equal("REMOVE", ttl.EventName);
        Assert.Equal(DateTimeOffset.FromUnixTimeSeconds(1764583200), ttl.Dynamodb!.ApproximateCreationDateTime);
        Assert.Equal(42, ttl.Dynamodb.SizeBytes);
        Assert.Equal("NEW_AND_OLD_IMAGES", ttl.Dynamodb.StreamViewType);
        Assert.Equal("Service", ttl.UserIdentity!.Type);
        Assert.Equal("dynamodb.amazonaws.com", ttl.UserIdentity.PrincipalId);
        Assert.Null(insert.UserIdentity);

        // As JSON: the names and encodings of Lambda's event (epoch seconds, base64 binary, lower-case identity).
        var json = StreamEventSerializer.RecordJson(ttl);
        Assert.Contains("\"eventSourceARN\":\"" + Arn + "\"", json, StringComparison.Ordinal);
        Assert.Contains("\"ApproximateCreationDateTime\":1764583200,", json, StringComparison.Ordinal);
        Assert.Contains("\"userIdentity\":{\"type\":\"Service\",\"principalId\":\"dynamodb.amazonaws.com\"}", json, StringComparison.Ordinal);
        Assert.Contains("\"cover\":{\"B\":\"AQL/\"}", StreamEventSerializer.RecordJson(insert), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Describe_stream_follows_every_page()
    {
        var api = new Mock<IDynamoDbStreams>(MockBehavior.Strict);
        api.Setup(a => a.DescribeStreamAsync(Arn, null, It.IsAny<CancellationToken>()))
            .ReturnsAsync(new StreamDescriptionPage(Arn, "cloudshelf-books", "ENABLED", "NEW_AND_OLD_IMAGES", [Closed], "shardId-1"));
        api.Setup(a => a.DescribeStreamAsync(Arn, "shardId-1", It.IsAny<CancellationToken>()))
            .ReturnsAsync(new StreamDescriptionPage(Arn, "cloudshelf-books", "ENABLED", "NEW_AND_OLD_IMAGES", [Open], null));

        var tree = await new DynamoDbStreamReader(api.Object, TimeProvider.System).DescribeStreamAsync(Arn, CancellationToken.None);

        Assert.Equal(["shardId-1", "shardId-2"], tree.Shards.Select(s => s.ShardId));
        Assert.Equal("cloudshelf-books", tree.TableName);
        Assert.Equal([Open], tree.Children("shardId-1"));
    }

    [Fact]
    public void A_child_shard_is_readable_only_once_its_parent_is_finished()
    {
        var grandchild = new StreamShard("shardId-3", "shardId-2", "300", null);
        var tree = new ShardTree(Arn, "cloudshelf-books", "ENABLED", "NEW_AND_OLD_IMAGES", [Closed, Open, grandchild]);

        Assert.Equal(["shardId-1"], tree.Readable(new HashSet<string>()).Select(s => s.ShardId));
        Assert.Equal(["shardId-2"], tree.Readable(new HashSet<string> { "shardId-1" }).Select(s => s.ShardId));
        Assert.Equal(["shardId-3"], tree.Readable(new HashSet<string> { "shardId-1", "shardId-2" }).Select(s => s.ShardId));
    }

    [Fact]
    public void A_shard_whose_parent_is_past_retention_is_readable()
    {
        var tree = new ShardTree(Arn, null, null, null, [Open]);

        Assert.Equal([Open], tree.Readable(new HashSet<string>()));
    }

    [Fact]
    public async Task Get_records_pages_until_the_record_budget_and_continues_after_the_last_record()
    {
        var api = new Mock<IDynamoDbStreams>(MockBehavior.Strict);
        api.Setup(a => a.GetShardIteratorAsync(Arn, "shardId-2", ShardIteratorType.TRIM_HORIZON, null, It.IsAny<CancellationToken>())).ReturnsAsync("it-1");
        api.Setup(a => a.GetRecordsAsync("it-1", 3, It.IsAny<CancellationToken>())).ReturnsAsync(new RecordsPage([ApiRecord("200"), ApiRecord("201")], "it-2"));
        api.Setup(a => a.GetRecordsAsync("it-2", 1, It.IsAny<CancellationToken>())).ReturnsAsync(new RecordsPage([ApiRecord("202")], "it-3"));
        var reader = new DynamoDbStreamReader(api.Object, TimeProvider.System).OpenShard(Arn, Open, StreamPosition.TrimHorizon);

        var result = await reader.ReadAsync(new ShardReadBudget(3, TimeSpan.FromMinutes(1)), CancellationToken.None);

        Assert.Equal(["200", "201", "202"], result.Records.Select(r => r.Dynamodb!.SequenceNumber));
        Assert.Equal(StreamPosition.After("202"), result.Next);
        Assert.False(result.Ended);
        Assert.Null(result.Gap);
    }

    [Fact]
    public async Task An_open_shard_read_stops_at_an_empty_page_and_the_next_read_keeps_the_iterator()
    {
        var api = new Mock<IDynamoDbStreams>(MockBehavior.Strict);
        api.Setup(a => a.GetShardIteratorAsync(Arn, "shardId-2", ShardIteratorType.AFTER_SEQUENCE_NUMBER, "205", It.IsAny<CancellationToken>())).ReturnsAsync("it-1");
        api.Setup(a => a.GetRecordsAsync("it-1", It.IsAny<int>(), It.IsAny<CancellationToken>())).ReturnsAsync(new RecordsPage([], "it-2"));
        api.Setup(a => a.GetRecordsAsync("it-2", It.IsAny<int>(), It.IsAny<CancellationToken>())).ReturnsAsync(new RecordsPage([ApiRecord("206")], "it-3"));
        var reader = new DynamoDbStreamReader(api.Object, TimeProvider.System).OpenShard(Arn, Open, StreamPosition.After("205"));

        var first = await reader.ReadAsync(new ShardReadBudget(100, TimeSpan.FromMinutes(1)), CancellationToken.None);
        api.Setup(a => a.GetRecordsAsync("it-3", It.IsAny<int>(), It.IsAny<CancellationToken>())).ReturnsAsync(new RecordsPage([], "it-4"));
        var second = await reader.ReadAsync(new ShardReadBudget(100, TimeSpan.FromMinutes(1)), CancellationToken.None);

        Assert.Empty(first.Records);
        Assert.Equal(StreamPosition.After("205"), first.Next);
        Assert.Equal(["206"], second.Records.Select(r => r.Dynamodb!.SequenceNumber));
        api.Verify(a => a.GetShardIteratorAsync(It.IsAny<string>(), It.IsAny<string>(), It.IsAny<ShardIteratorType>(), It.IsAny<string?>(), It.IsAny<CancellationToken>()), Times.Once);
    }

    [Fact]
    public async Task A_closed_shard_is_read_past_empty_pages_to_its_end()
    {
        var api = new Mock<IDynamoDbStreams>(MockBehavior.Strict);
        api.Setup(a => a.GetShardIteratorAsync(Arn, "shardId-1", ShardIteratorType.TRIM_HORIZON, null, It.IsAny<CancellationToken>())).ReturnsAsync("it-1");
        api.Setup(a => a.GetRecordsAsync("it-1", It.IsAny<int>(), It.IsAny<CancellationToken>())).ReturnsAsync(new RecordsPage([ApiRecord("100")], "it-2"));
        api.Setup(a => a.GetRecordsAsync("it-2", It.IsAny<int>(), It.IsAny<CancellationToken>())).ReturnsAsync(new RecordsPage([], "it-3"));
        api.Setup(a => a.GetRecordsAsync("it-3", It.IsAny<int>(), It.IsAny<CancellationToken>())).ReturnsAsync(new RecordsPage([ApiRecord("199", "MODIFY")], null));
        var reader = new DynamoDbStreamReader(api.Object, TimeProvider.System).OpenShard(Arn, Closed, StreamPosition.TrimHorizon);

        var result = await reader.ReadAsync(new ShardReadBudget(100, TimeSpan.FromMinutes(1)), CancellationToken.None);

        Assert.Equal(["100", "199"], result.Records.Select(r => r.Dynamodb!.SequenceNumber));
        Assert.True(result.Ended);
        Assert.True(reader.Ended);
    }

    [Fact]
    public async Task An_expired_iterator_is_renewed_after_the_last_record_read()
    {
        var api = new Mock<IDynamoDbStreams>(MockBehavior.Strict);
        api.Setup(a => a.GetShardIteratorAsync(Arn, "shardId-2", ShardIteratorType.TRIM_HORIZON, null, It.IsAny<CancellationToken>())).ReturnsAsync("it-1");
        api.Setup(a => a.GetRecordsAsync("it-1", It.IsAny<int>(), It.IsAny<CancellationToken>())).ReturnsAsync(new RecordsPage([ApiRecord("200")], "it-2"));
        api.Setup(a => a.GetRecordsAsync("it-2", It.IsAny<int>(), It.IsAny<CancellationToken>())).ThrowsAsync(Error(StreamsApiException.ExpiredIterator));
        api.Setup(a => a.GetShardIteratorAsync(Arn, "shardId-2", ShardIteratorType.AFTER_SEQUENCE_NUMBER, "200", It.IsAny<CancellationToken>())).ReturnsAsync("it-fresh");
        api.Setup(a => a.GetRecordsAsync("it-fresh", It.IsAny<int>(), It.IsAny<CancellationToken>())).ReturnsAsync(new RecordsPage([ApiRecord("201")], "it-3"));
        api.Setup(a => a.GetRecordsAsync("it-3", It.IsAny<int>(), It.IsAny<CancellationToken>())).ReturnsAsync(new RecordsPage([], "it-4"));
        var reader = new DynamoDbStreamReader(api.Object, TimeProvider.System).OpenShard(Arn, Open, StreamPosition.TrimHorizon);

        var result = await reader.ReadAsync(new ShardReadBudget(100, TimeSpan.FromMinutes(1)), CancellationToken.None);

        Assert.Equal(["200", "201"], result.Records.Select(r => r.Dynamodb!.SequenceNumber));
        Assert.Null(result.Gap);
    }

    [Fact]
    public async Task A_trimmed_position_is_reported_as_a_gap_and_reading_goes_on_from_the_trim_horizon()
    {
        var api = new Mock<IDynamoDbStreams>(MockBehavior.Strict);
        api.Setup(a => a.GetShardIteratorAsync(Arn, "shardId-2", ShardIteratorType.AFTER_SEQUENCE_NUMBER, "150", It.IsAny<CancellationToken>()))
            .ThrowsAsync(Error(StreamsApiException.TrimmedDataAccess));
        api.Setup(a => a.GetShardIteratorAsync(Arn, "shardId-2", ShardIteratorType.TRIM_HORIZON, null, It.IsAny<CancellationToken>())).ReturnsAsync("it-1");
        api.Setup(a => a.GetRecordsAsync("it-1", It.IsAny<int>(), It.IsAny<CancellationToken>())).ReturnsAsync(new RecordsPage([ApiRecord("230")], "it-2"));
        api.Setup(a => a.GetRecordsAsync("it-2", It.IsAny<int>(), It.IsAny<CancellationToken>())).ReturnsAsync(new RecordsPage([], "it-3"));

        var result = await new DynamoDbStreamReader(api.Object, TimeProvider.System)
            .ReadShardAsync(Arn, Open, StreamPosition.After("150"), new ShardReadBudget(100, TimeSpan.FromMinutes(1)), CancellationToken.None);

        Assert.Equal(new StreamGap("shardId-2", StreamPosition.After("150"), "TrimmedDataAccessException: from the test"), result.Gap);
        Assert.Equal(["230"], result.Records.Select(r => r.Dynamodb!.SequenceNumber));
    }

    [Fact]
    public async Task A_shard_read_from_its_trim_horizon_takes_a_new_iterator_when_getrecords_says_trimmed()
    {
        // Regression (chaos suite): DynamoDB Local answered TrimmedDataAccessException here, and the whole mapping run stopped.
        var api = new Mock<IDynamoDbStreams>(MockBehavior.Strict);
        api.SetupSequence(a => a.GetShardIteratorAsync(Arn, "shardId-2", ShardIteratorType.TRIM_HORIZON, null, It.IsAny<CancellationToken>()))
            .ReturnsAsync("it-stale").ReturnsAsync("it-1");
        api.Setup(a => a.GetRecordsAsync("it-stale", It.IsAny<int>(), It.IsAny<CancellationToken>())).ThrowsAsync(Error(StreamsApiException.TrimmedDataAccess));
        api.Setup(a => a.GetRecordsAsync("it-1", It.IsAny<int>(), It.IsAny<CancellationToken>())).ReturnsAsync(new RecordsPage([ApiRecord("200")], "it-2"));
        api.Setup(a => a.GetRecordsAsync("it-2", It.IsAny<int>(), It.IsAny<CancellationToken>())).ReturnsAsync(new RecordsPage([], "it-3"));

        var result = await new DynamoDbStreamReader(api.Object, TimeProvider.System)
            .ReadShardAsync(Arn, Open, StreamPosition.TrimHorizon, new ShardReadBudget(100, TimeSpan.FromMinutes(1)), CancellationToken.None);

        Assert.Equal(["200"], result.Records.Select(r => r.Dynamodb!.SequenceNumber));
        Assert.Null(result.Gap);
    }

    [Fact]
    public async Task An_error_other_than_expiry_or_trimming_reaches_the_caller()
    {
        var api = new Mock<IDynamoDbStreams>(MockBehavior.Strict);
        api.Setup(a => a.GetShardIteratorAsync(Arn, "shardId-2", ShardIteratorType.TRIM_HORIZON, null, It.IsAny<CancellationToken>()))
            .ThrowsAsync(Error(StreamsApiException.ResourceNotFound));

        var e = await Assert.ThrowsAsync<StreamsApiException>(() => new DynamoDbStreamReader(api.Object, TimeProvider.System)
            .ReadShardAsync(Arn, Open, StreamPosition.TrimHorizon, ShardReadBudget.OnePage, CancellationToken.None));

        Assert.Equal(StreamsApiException.ResourceNotFound, e.ErrorCode);
    }
}
