using CloudShelf.Sync.Mapping;
using CloudShelf.Sync.Observability;
using CloudShelf.Sync.Postgres;
using CloudShelf.Sync.Streams;
using CloudShelf.Sync.StreamSync;
using CloudShelf.Sync.Testing;
using Moq;
using Npgsql;
using static CloudShelf.Sync.Testing.Items;

namespace CloudShelf.Sync.Tests.StreamSync;

public sealed class BatchStatisticsTests
{
    private static readonly SyncMapping Mapping = CloudShelfMapping.Create(SourceTableNames.Default);

    private readonly Mock<IChangeWriter> _writer = new(MockBehavior.Strict);
    private readonly Mock<IItemReader> _reader = new(MockBehavior.Strict);
    private readonly List<IReadOnlyList<TableBatchCounts>> _recorded = [];
    private readonly Mock<IBatchStatistics> _statistics = new(MockBehavior.Strict);

    public BatchStatisticsTests() =>
        _statistics.Setup(s => s.RecordAsync(It.IsAny<IReadOnlyList<TableBatchCounts>>(), It.IsAny<CancellationToken>()))
            .Callback((IReadOnlyList<TableBatchCounts> counts, CancellationToken _) => _recorded.Add(counts))
            .Returns(Task.CompletedTask);

    private Task<BatchResult> Process(params DynamoDBStreamRecord[] records) =>
        new StreamBatchProcessor(Mapping, _writer.Object, _reader.Object, NullLog.Instance, new Mock<IMetrics>().Object, TimeProvider.System,
                statistics: _statistics.Object)
            .ProcessAsync(records.Select(r => new SourceRecord(r, StreamArn.TableName(r.EventSourceArn))).ToList(), CancellationToken.None);

    [Fact]
    public async Task One_batch_is_recorded_once_with_one_entry_per_table_and_superseded_records_count_as_applied()
    {
        _writer.Setup(w => w.WriteAsync(It.IsAny<IReadOnlyList<Change>>(), It.IsAny<IReadOnlyList<QuarantineEntry>>(), It.IsAny<CancellationToken>()))
            .Returns((IReadOnlyList<Change> changes, IReadOnlyList<QuarantineEntry> quarantine, CancellationToken _) =>
                Task.FromResult(new WriteResult { Won = changes.ToHashSet(), Committed = changes, Quarantined = quarantine }));
        var broken = StreamEvents.Insert(StreamEvents.Books, "104", Book("book-3"));
        broken.Dynamodb!.SequenceNumber = "not-a-number";

        await Process(
            StreamEvents.Insert(StreamEvents.Books, "100", Book("book-1")),
            StreamEvents.Modify(StreamEvents.Books, "101", Book("book-1", title: "Later")),
            StreamEvents.Insert(StreamEvents.Books, "102", Book("book-2")),
            StreamEvents.Modify(StreamEvents.Carts, "103", new Dictionary<string, AttributeValue> { ["userId"] = S("user-1") }),
            broken);

        var counts = Assert.Single(_recorded).OrderBy(c => c.Table, StringComparer.Ordinal).ToList();
        Assert.Equal(
            [new TableBatchCounts("books", 3, 0, 1, 0), new TableBatchCounts(StreamEvents.Carts, 0, 1, 0, 0)],
            counts);
        Assert.Equal(4, counts[0].Records);
    }

    [Fact]
    public async Task A_batch_the_database_refused_is_recorded_as_failed()
    {
        _writer.Setup(w => w.WriteAsync(It.IsAny<IReadOnlyList<Change>>(), It.IsAny<IReadOnlyList<QuarantineEntry>>(), It.IsAny<CancellationToken>()))
            .ThrowsAsync(new NpgsqlException("connection refused", new System.Net.Sockets.SocketException()));

        await Process(StreamEvents.Insert(StreamEvents.Users, "200", User("user-1", "one@example.com")), StreamEvents.Insert(StreamEvents.Users, "201", User("user-2", "two@example.com")));

        Assert.Equal([new TableBatchCounts("users", 0, 0, 0, 2)], Assert.Single(_recorded));
    }

    [Fact]
    public async Task A_replay_of_quarantined_records_is_not_recorded_again()
    {
        _writer.Setup(w => w.WriteAsync(It.IsAny<IReadOnlyList<Change>>(), It.IsAny<IReadOnlyList<QuarantineEntry>>(), It.IsAny<CancellationToken>()))
            .Returns((IReadOnlyList<Change> changes, IReadOnlyList<QuarantineEntry> quarantine, CancellationToken _) =>
                Task.FromResult(new WriteResult { Won = changes.ToHashSet(), Committed = changes, Quarantined = quarantine }));
        var processor = new StreamBatchProcessor(Mapping, _writer.Object, _reader.Object, NullLog.Instance, new Mock<IMetrics>().Object,
            TimeProvider.System, statistics: _statistics.Object);
        var record = StreamEvents.Insert(StreamEvents.Books, "300", Book("book-9"));

        var result = await processor.ReplayAsync([new SourceRecord(record, StreamArn.TableName(record.EventSourceArn))], CancellationToken.None);

        Assert.Equal([RecordOutcome.Applied], result.Outcomes);
        Assert.Empty(_recorded);
    }

    [Fact]
    public void The_error_rate_is_failed_and_quarantined_over_applied_failed_and_quarantined_leaving_skipped_out()
    {
        var rate = ErrorRate.Sum([new TableBatchCounts("books", 97, 500, 1, 0), new TableBatchCounts("users", 0, 0, 1, 1)]);

        Assert.Equal(100, rate.Records);
        Assert.Equal(0.03, rate.Rate, 12);
        Assert.Equal("3 % (3 of 100 records)", rate.ToString());
    }

    [Fact]
    public void No_records_is_an_error_rate_of_zero_not_a_division_by_zero()
    {
        var rate = ErrorRate.Sum([new TableBatchCounts("carts", 0, 12, 0, 0)]);

        Assert.Equal(0, rate.Records);
        Assert.Equal(0, rate.Rate);
    }
}
