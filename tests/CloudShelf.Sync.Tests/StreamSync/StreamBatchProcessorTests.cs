using System.Net.Sockets;
using CloudShelf.Sync.Mapping;
using CloudShelf.Sync.Observability;
using CloudShelf.Sync.Postgres;
using CloudShelf.Sync.Streams;
using CloudShelf.Sync.StreamSync;
using CloudShelf.Sync.Testing;
using CloudShelf.Sync.Tests.Streams;
using Moq;
using Npgsql;
using static CloudShelf.Sync.Testing.Items;

namespace CloudShelf.Sync.Tests.StreamSync;

public sealed class StreamBatchProcessorTests
{
    private static readonly SyncMapping Mapping = CloudShelfMapping.Create(SourceTableNames.Default);

    private readonly Mock<IChangeWriter> _writer = new(MockBehavior.Strict);
    private readonly Mock<IItemReader> _reader = new(MockBehavior.Strict);
    private readonly Mock<IMetrics> _metrics = new();
    private readonly RecordingLog _log = new();
    private readonly List<(List<Change> Changes, List<QuarantineEntry> Quarantine)> _writes = [];

    public StreamBatchProcessorTests() => WriterSucceeds();

    private StreamBatchProcessor Processor() =>
        new(Mapping, _writer.Object, _reader.Object, _log, _metrics.Object, TimeProvider.System);

    private static SourceRecord Source(DynamoDBStreamRecord record) => new(record, StreamArn.TableName(record.EventSourceArn));

    private Task<BatchResult> Process(params DynamoDBStreamRecord[] records) => Process(CancellationToken.None, records);

    private Task<BatchResult> Process(CancellationToken cancellationToken, params DynamoDBStreamRecord[] records) =>
        Processor().ProcessAsync(records.Select(Source).ToList(), cancellationToken);

    /// <summary>What a healthy writer answers: every change won, every quarantine entry written.</summary>
    private static WriteResult Applied(IReadOnlyList<Change> changes, IReadOnlyList<QuarantineEntry> quarantine) =>
        new() { Won = changes.ToHashSet(), Committed = changes, Quarantined = quarantine };

    private void WriterSucceeds() =>
        _writer.Setup(w => w.WriteAsync(It.IsAny<IReadOnlyList<Change>>(), It.IsAny<IReadOnlyList<QuarantineEntry>>(), It.IsAny<CancellationToken>()))
            .Returns((IReadOnlyList<Change> changes, IReadOnlyList<QuarantineEntry> quarantine, CancellationToken _) =>
            {
                _writes.Add((changes.ToList(), quarantine.ToList()));
                return Task.FromResult(Applied(changes, quarantine));
            });

    private void WriterThrows(Exception exception) =>
        _writer.Setup(w => w.WriteAsync(It.IsAny<IReadOnlyList<Change>>(), It.IsAny<IReadOnlyList<QuarantineEntry>>(), It.IsAny<CancellationToken>()))
            .ThrowsAsync(exception);

    private (List<Change> Changes, List<QuarantineEntry> Quarantine) OnlyWrite() => Assert.Single(_writes);

    private static DynamoDBStreamRecord KeysOnlyInsert(string table, string sequenceNumber, string key) =>
        StreamEvents.Record(table, "INSERT", sequenceNumber,
            new Dictionary<string, AttributeValue> { [StreamEvents.KeyAttribute(table)] = S(key) }, null, null);

    private static string[] FailedIdentifiers(BatchResult result) =>
        result.ToResponse().BatchItemFailures.Select(f => f.ItemIdentifier!).ToArray();

    [Fact]
    public async Task Records_of_cloudshelf_carts_are_skipped_and_never_reach_the_writer()
    {
        var cart = StreamEvents.Modify(StreamEvents.Carts, "100", new Dictionary<string, AttributeValue> { ["userId"] = S("user-1") });
        var book = StreamEvents.Insert(StreamEvents.Books, "101", Book("book-1"));

        var result = await Process(cart, book);

        Assert.Equal([RecordOutcome.Skipped, RecordOutcome.Applied], result.Outcomes);
        var (changes, quarantine) = OnlyWrite();
        Assert.Equal("book-1", Assert.Single(changes).Key);
        Assert.Empty(quarantine);
        Assert.DoesNotContain(changes.SelectMany(c => c.Records), r => ReferenceEquals(r.Record, cart));
        Assert.Empty(result.ToResponse().BatchItemFailures);
    }

    [Fact]
    public async Task The_carts_sample_is_skipped_and_counted_not_failed()
    {
        var result = await Processor().ProcessAsync(SampleEvents.Read("carts-modify.json").Records.Select(Source).ToList(), CancellationToken.None);

        Assert.Equal([RecordOutcome.Skipped], result.Outcomes);
        Assert.Empty(result.ToResponse().BatchItemFailures);
        _metrics.Verify(m => m.Add(MetricNames.RecordsSkipped, 1, MetricUnit.Count, null));
        _metrics.Verify(m => m.Add(MetricNames.RecordsFailed, 0, MetricUnit.Count, null));
    }

    [Fact]
    public async Task Records_of_one_key_collapse_into_one_change_with_the_highest_sequence_number()
    {
        var insert = StreamEvents.Insert(StreamEvents.Books, "48120700000000011420356301", Book("book-1", title: "First"));
        var modify = StreamEvents.Modify(StreamEvents.Books, "48120700000000011420356302", Book("book-1", title: "Second"));
        var last = StreamEvents.Modify(StreamEvents.Books, "48120700000000011420356303", Book("book-1", title: "Third"));

        var result = await Process(insert, modify, last);

        var change = Assert.Single(OnlyWrite().Changes);
        Assert.Equal("48120700000000011420356303", change.SequenceNumber);
        Assert.Equal(ChangeKind.Upsert, change.Kind);
        Assert.Equal("Third", change.Row!.Values[0]);
        Assert.Equal([insert, modify, last], change.Records.Select(r => r.Record));
        Assert.Equal([RecordOutcome.Superseded, RecordOutcome.Superseded, RecordOutcome.Applied], result.Outcomes);
    }

    [Theory]
    [InlineData("9", "10")]
    [InlineData("98765400000000003210004", "100012300000000003210417")]
    [InlineData("000000000000000000000000000000000000099", "100")]
    public async Task The_newest_record_is_found_by_number_even_where_it_sorts_first_as_text(string older, string newer)
    {
        // Delivered newest first, as a quarantine replay may hand them over.
        var newest = StreamEvents.Modify(StreamEvents.Books, newer, Book("book-1", title: "Newer"));
        var oldest = StreamEvents.Modify(StreamEvents.Books, older, Book("book-1", title: "Older"));

        var result = await Process(newest, oldest);

        var change = Assert.Single(OnlyWrite().Changes);
        Assert.Equal(newer, change.SequenceNumber);
        Assert.Equal("Newer", change.Row!.Values[0]);
        Assert.Equal([oldest, newest], change.Records.Select(r => r.Record));
        Assert.Equal([RecordOutcome.Applied, RecordOutcome.Superseded], result.Outcomes);
    }

    [Fact]
    public async Task A_remove_after_an_insert_in_one_batch_collapses_to_the_delete()
    {
        var insert = StreamEvents.Insert(StreamEvents.Books, "1", Book("book-1"));
        var remove = StreamEvents.Remove(StreamEvents.Books, "2", "book-1");

        await Process(insert, remove);

        var change = Assert.Single(OnlyWrite().Changes);
        Assert.Equal(ChangeKind.Delete, change.Kind);
        Assert.Null(change.Row);
        Assert.Equal("2", change.SequenceNumber);
    }

    [Fact]
    public async Task The_writer_not_the_processor_orders_changes_by_table_then_key_ordinal()
    {
        await Process(
            StreamEvents.Insert(StreamEvents.Users, "1", User("user-b", "b@example.com")),
            StreamEvents.Insert(StreamEvents.Books, "2", Book("book-z")),
            StreamEvents.Insert(StreamEvents.Orders, "3", Order("ord-1", 1)),
            StreamEvents.Remove(StreamEvents.Books, "4", "book-a"),
            StreamEvents.Insert(StreamEvents.Books, "5", Book("Book-Z")),
            StreamEvents.Insert(StreamEvents.Users, "6", User("user-a", "a@example.com")),
            StreamEvents.Insert(StreamEvents.Books, "7", Book("book-Ä")));

        Assert.Equal(
            [("books", "Book-Z"), ("books", "book-a"), ("books", "book-z"), ("books", "book-Ä"), ("orders", "ord-1"), ("users", "user-a"), ("users", "user-b")],
            ChangeWriter.Sort(OnlyWrite().Changes).Select(c => (c.Table.Table, c.Key)));
        // The lock order has one home: the processor hands the changes over in batch order.
        Assert.Equal(("users", "user-b"), (OnlyWrite().Changes[0].Table.Table, OnlyWrite().Changes[0].Key));
    }

    [Fact]
    public async Task A_remove_by_dynamodb_itself_is_a_ttl_delete()
    {
        var result = await Process(
            StreamEvents.Remove(StreamEvents.Orders, "1", "ord-expired", ttl: true),
            StreamEvents.Remove(StreamEvents.Orders, "2", "ord-cancelled"));

        var changes = OnlyWrite().Changes;
        Assert.All(changes, c => Assert.Equal(ChangeKind.Delete, c.Kind));
        Assert.True(changes.Single(c => c.Key == "ord-expired").TtlDelete);
        Assert.False(changes.Single(c => c.Key == "ord-cancelled").TtlDelete);
        Assert.Equal([RecordOutcome.Applied, RecordOutcome.Applied], result.Outcomes);
        _metrics.Verify(m => m.Add(MetricNames.TtlDeletes, 1, MetricUnit.Count, "orders"), Times.Once);
    }

    [Fact]
    public async Task The_ttl_sample_becomes_a_ttl_delete()
    {
        await Processor().ProcessAsync(SampleEvents.Read("orders-ttl-remove.json").Records.Select(Source).ToList(), CancellationToken.None);

        var change = Assert.Single(OnlyWrite().Changes);
        Assert.True(change.TtlDelete);
        Assert.Equal("ord-20261101-1d7e55", change.Key);
        Assert.Equal(DateTimeOffset.FromUnixTimeSeconds(1794194272), change.ChangedAt);
    }

    public static TheoryData<string, Action<DynamoDBStreamRecord>> Unmappable() => new()
    {
        { "sequence number with a letter", r => r.Dynamodb!.SequenceNumber = "12a" },
        { "sequence number of 41 digits", r => r.Dynamodb!.SequenceNumber = new string('1', 41) },
        { "no sequence number", r => r.Dynamodb!.SequenceNumber = null },
        { "unknown eventName", r => r.EventName = "UPSERT" },
        { "no eventName", r => r.EventName = null },
        { "missing key", r => { r.Dynamodb!.Keys = new() { ["isbn"] = S("9781635575637") }; r.Dynamodb.NewImage!.Remove("bookId"); } },
        { "numeric key", r => { r.Dynamodb!.Keys = new() { ["bookId"] = N("4711") }; r.Dynamodb.NewImage!["bookId"] = N("4711"); } },
        { "new image key differs from Keys", r => r.Dynamodb!.NewImage!["bookId"] = S("book-other") },
        { "no dynamodb part", r => r.Dynamodb = null },
    };

    [Theory]
    [MemberData(nameof(Unmappable))]
    public async Task A_record_that_cannot_be_applied_is_quarantined_never_dropped(string why, Action<DynamoDBStreamRecord> spoil)
    {
        var bad = StreamEvents.Insert(StreamEvents.Books, "2", Book("book-bad"));
        spoil(bad);
        var good = StreamEvents.Insert(StreamEvents.Books, "3", Book("book-good"));

        var result = await Process(bad, good);

        var (changes, quarantine) = OnlyWrite();
        var entry = Assert.Single(quarantine);
        Assert.Same(bad, entry.Source.Record);
        Assert.Equal("books", entry.TargetTable);
        Assert.Equal("unmappable", entry.ErrorCode);
        Assert.False(string.IsNullOrWhiteSpace(entry.Reason), why);
        Assert.Equal("book-good", Assert.Single(changes).Key);
        Assert.Equal([RecordOutcome.Quarantined, RecordOutcome.Applied], result.Outcomes);
        Assert.Empty(result.ToResponse().BatchItemFailures);
        Assert.Same(entry, Assert.Single(result.Quarantined));
    }

    [Fact]
    public async Task A_record_that_could_not_be_read_is_quarantined_with_its_raw_json()
    {
        var json = $$$"""
            {"Records":[
              {"eventID":"e1","eventName":"INSERT","eventSourceARN":"{{{StreamEvents.Arn(StreamEvents.Books)}}}",
               "dynamodb":{"Keys":{"bookId":{"S":"book-1"}},"NewImage":{"bookId":{"S":"book-1"},"price":{"X":"1"}},"SequenceNumber":"7"}}
            ]}
            """;
        var records = StreamEventSerializer.ReadEvent(System.Text.Encoding.UTF8.GetBytes(json)).Records;

        var result = await Process(records[0]);

        var entry = Assert.Single(OnlyWrite().Quarantine);
        Assert.Equal("unreadable", entry.ErrorCode);
        Assert.Contains("'X'", entry.Reason, StringComparison.Ordinal);
        Assert.Contains("\"X\"", StreamEventSerializer.RecordJson(entry.Source.Record), StringComparison.Ordinal);
        Assert.Equal([RecordOutcome.Quarantined], result.Outcomes);
    }

    [Fact]
    public async Task A_record_whose_arn_names_no_table_is_quarantined()
    {
        var record = StreamEvents.Insert(StreamEvents.Books, "1", Book("book-1"));
        record.EventSourceArn = "arn:aws:kinesis:eu-west-1:123456789012:stream/books";

        var result = await Process(record);

        Assert.Equal("unmappable", Assert.Single(OnlyWrite().Quarantine).ErrorCode);
        Assert.Equal([RecordOutcome.Quarantined], result.Outcomes);
    }

    [Fact]
    public async Task A_transient_database_failure_fails_every_record_that_was_not_skipped()
    {
        WriterThrows(new NpgsqlException("down", new SocketException()));
        var invalid = StreamEvents.Insert(StreamEvents.Books, "48120700000000011420356305", Book("book-3"));
        invalid.EventName = "UPSERT";

        var result = await Process(
            StreamEvents.Insert(StreamEvents.Books, "48120700000000011420356301", Book("book-1")),
            StreamEvents.Modify(StreamEvents.Carts, "48120700000000011420356302", new Dictionary<string, AttributeValue> { ["userId"] = S("user-1") }),
            StreamEvents.Modify(StreamEvents.Books, "48120700000000011420356303", Book("book-1")),
            StreamEvents.Remove(StreamEvents.Users, "48120700000000011420356304", "user-1"),
            invalid);

        Assert.Equal(
            [RecordOutcome.Failed, RecordOutcome.Skipped, RecordOutcome.Failed, RecordOutcome.Failed, RecordOutcome.Failed],
            result.Outcomes);
        // The quarantine was not written either, so the unmappable record must come again too.
        Assert.Equal(
            ["48120700000000011420356301", "48120700000000011420356303", "48120700000000011420356304", "48120700000000011420356305"],
            FailedIdentifiers(result));
        Assert.Empty(result.Quarantined);
        _writer.Verify(w => w.WriteAsync(It.IsAny<IReadOnlyList<Change>>(), It.IsAny<IReadOnlyList<QuarantineEntry>>(), It.IsAny<CancellationToken>()), Times.Once);
        Assert.Contains(_log.Entries, e => e.Level == LogLevel.Error && e.Exception is NpgsqlException);
    }

    [Theory]
    [InlineData("57P01")]
    [InlineData("08006")]
    [InlineData("28P01")]
    public async Task A_server_side_transient_failure_fails_the_records(string sqlState)
    {
        WriterThrows(new PostgresException("gone", "FATAL", "FATAL", sqlState));

        var result = await Process(StreamEvents.Insert(StreamEvents.Books, "5", Book("book-1")));

        Assert.Equal(["5"], FailedIdentifiers(result));
    }

    [Fact]
    public async Task A_failed_record_without_a_sequence_number_fails_the_whole_batch()
    {
        WriterThrows(new NpgsqlException("down", new SocketException()));
        var record = StreamEvents.Insert(StreamEvents.Books, "5", Book("book-1"));
        record.Dynamodb!.SequenceNumber = null;

        var result = await Process(record);

        // An empty identifier is how Lambda is told that the whole batch failed.
        Assert.Equal([""], FailedIdentifiers(result));
    }

    [Fact]
    public async Task A_deadlock_reaching_the_processor_fails_the_records_without_a_second_retry_loop()
    {
        // The conflict retry lives in the writer (so the backfill has it too); what still escapes it is redelivered.
        WriterThrows(new PostgresException("deadlock detected", "ERROR", "ERROR", PostgresErrorCodes.DeadlockDetected));

        var result = await Process(StreamEvents.Insert(StreamEvents.Books, "1", Book("book-1")));

        _writer.Verify(w => w.WriteAsync(It.IsAny<IReadOnlyList<Change>>(), It.IsAny<IReadOnlyList<QuarantineEntry>>(), It.IsAny<CancellationToken>()), Times.Once);
        Assert.Equal(["1"], FailedIdentifiers(result));
    }

    [Fact]
    public void The_writer_refuses_two_changes_of_one_item()
    {
        var table = Mapping.ForSourceTable("cloudshelf-books")!;
        Change Delete(string sequence) => new() { Table = table, Key = "book-1", SequenceNumber = sequence, Kind = ChangeKind.Delete, Records = [] };

        var e = Assert.Throws<ArgumentException>(() => ChangeWriter.Sort([Delete("1"), Delete("2")]));
        Assert.Contains("book-1", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_keys_only_insert_reads_the_item_by_the_records_keys_and_maps_it()
    {
        var record = KeysOnlyInsert(StreamEvents.Books, "48121500000000011420470009", "book-3e5d7a90");
        var keys = record.Dynamodb!.Keys!;
        _reader.Setup(r => r.GetItemAsync("cloudshelf-books", It.IsAny<IReadOnlyDictionary<string, AttributeValue>>(), It.IsAny<CancellationToken>()))
            .ReturnsAsync(Book("book-3e5d7a90", price: "31.50"));

        var result = await Process(record);

        _reader.Verify(r => r.GetItemAsync("cloudshelf-books",
            It.Is<IReadOnlyDictionary<string, AttributeValue>>(k => ItemEquality.Equal(k, keys)), It.IsAny<CancellationToken>()), Times.Once);
        var change = Assert.Single(OnlyWrite().Changes);
        Assert.Equal("book-3e5d7a90", change.Row!.Key);
        Assert.Equal("31.50", change.Row.Values[3]);
        Assert.Equal([RecordOutcome.Applied], result.Outcomes);
    }

    [Fact]
    public async Task The_keys_only_sample_reads_its_item_from_the_table()
    {
        _reader.Setup(r => r.GetItemAsync("cloudshelf-books",
                It.Is<IReadOnlyDictionary<string, AttributeValue>>(k => k.Count == 1 && k["bookId"].S == "book-3e5d7a90"), It.IsAny<CancellationToken>()))
            .ReturnsAsync(Book("book-3e5d7a90"));

        var result = await Processor().ProcessAsync(SampleEvents.Read("keys-only-insert.json").Records.Select(Source).ToList(), CancellationToken.None);

        Assert.Equal([RecordOutcome.Applied], result.Outcomes);
    }

    [Fact]
    public async Task A_record_with_a_new_image_is_not_read_again()
    {
        await Process(StreamEvents.Insert(StreamEvents.Books, "1", Book("book-1")), StreamEvents.Remove(StreamEvents.Books, "2", "book-2"));

        _reader.VerifyNoOtherCalls();
    }

    [Fact]
    public async Task A_keys_only_insert_of_an_item_deleted_since_is_skipped()
    {
        _reader.Setup(r => r.GetItemAsync(It.IsAny<string>(), It.IsAny<IReadOnlyDictionary<string, AttributeValue>>(), It.IsAny<CancellationToken>()))
            .ReturnsAsync((Dictionary<string, AttributeValue>?)null);

        var result = await Process(
            KeysOnlyInsert(StreamEvents.Books, "1", "book-gone"),
            StreamEvents.Insert(StreamEvents.Books, "2", Book("book-2")));

        Assert.Equal([RecordOutcome.Skipped, RecordOutcome.Applied], result.Outcomes);
        Assert.Equal("book-2", Assert.Single(OnlyWrite().Changes).Key);
        Assert.Empty(result.ToResponse().BatchItemFailures);
    }

    [Fact]
    public async Task A_failed_item_read_fails_only_that_record()
    {
        _reader.Setup(r => r.GetItemAsync("cloudshelf-books",
                It.Is<IReadOnlyDictionary<string, AttributeValue>>(k => k["bookId"].S == "book-1"), It.IsAny<CancellationToken>()))
            .ThrowsAsync(new HttpRequestException("throttled"));
        _reader.Setup(r => r.GetItemAsync("cloudshelf-books",
                It.Is<IReadOnlyDictionary<string, AttributeValue>>(k => k["bookId"].S == "book-2"), It.IsAny<CancellationToken>()))
            .ReturnsAsync(Book("book-2"));

        var result = await Process(
            KeysOnlyInsert(StreamEvents.Books, "11", "book-1"),
            KeysOnlyInsert(StreamEvents.Books, "12", "book-2"),
            StreamEvents.Remove(StreamEvents.Users, "13", "user-1"));

        Assert.Equal([RecordOutcome.Failed, RecordOutcome.Applied, RecordOutcome.Applied], result.Outcomes);
        Assert.Equal(["11"], FailedIdentifiers(result));
        Assert.DoesNotContain(OnlyWrite().Changes, c => c.Key == "book-1");
    }

    public static TheoryData<string, Exception> ReadsThatWillNotHeal => new()
    {
        { "AccessDeniedException", new Amazon.DynamoDBv2.AmazonDynamoDBException("User is not authorized to perform: dynamodb:GetItem") { ErrorCode = "AccessDeniedException" } },
        { "ResourceNotFoundException", new Amazon.DynamoDBv2.Model.ResourceNotFoundException("Requested resource not found") { ErrorCode = "ResourceNotFoundException" } },
    };

    [Theory]
    [MemberData(nameof(ReadsThatWillNotHeal))]
    public async Task A_keys_only_read_that_will_not_heal_is_quarantined_with_its_error_after_its_retries(string errorCode, Exception error)
    {
        // Protection: access denied or a missing table used to fail the record, so Lambda redelivered the shard forever.
        _reader.Setup(r => r.GetItemAsync("cloudshelf-books", It.IsAny<IReadOnlyDictionary<string, AttributeValue>>(), It.IsAny<CancellationToken>()))
            .ThrowsAsync(error);

        var result = await Process(KeysOnlyInsert(StreamEvents.Books, "11", "book-1"), StreamEvents.Insert(StreamEvents.Books, "12", Book("book-2")));

        _reader.Verify(r => r.GetItemAsync("cloudshelf-books", It.IsAny<IReadOnlyDictionary<string, AttributeValue>>(), It.IsAny<CancellationToken>()),
            Times.Exactly(ImageResolver.PermanentReadAttempts));
        Assert.Equal([RecordOutcome.Quarantined, RecordOutcome.Applied], result.Outcomes);
        Assert.Empty(result.ToResponse().BatchItemFailures);
        var entry = Assert.Single(OnlyWrite().Quarantine);
        Assert.Equal("book-1", entry.Key);
        Assert.Contains(errorCode, entry.Reason, StringComparison.Ordinal);
        Assert.Contains(error.Message, entry.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_keys_only_read_that_fails_for_a_passing_reason_is_redelivered_not_quarantined()
    {
        _reader.Setup(r => r.GetItemAsync("cloudshelf-books", It.IsAny<IReadOnlyDictionary<string, AttributeValue>>(), It.IsAny<CancellationToken>()))
            .ThrowsAsync(new Amazon.DynamoDBv2.Model.ProvisionedThroughputExceededException("slow down") { ErrorCode = "ProvisionedThroughputExceededException" });

        var result = await Process(KeysOnlyInsert(StreamEvents.Books, "11", "book-1"));

        Assert.Equal([RecordOutcome.Failed], result.Outcomes);
        Assert.Equal(["11"], FailedIdentifiers(result));
        Assert.Empty(OnlyWrite().Quarantine);
    }

    [Fact]
    public async Task Cancellation_while_reading_a_keys_only_item_fails_the_record_instead_of_throwing()
    {
        // Regression: the deadline striking during the item read escaped ProcessAsync as an exception.
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();
        _reader.Setup(r => r.GetItemAsync("cloudshelf-books", It.IsAny<IReadOnlyDictionary<string, AttributeValue>>(), It.IsAny<CancellationToken>()))
            .Returns((string _, IReadOnlyDictionary<string, AttributeValue> _, CancellationToken token) => Task.FromCanceled<Dictionary<string, AttributeValue>?>(token));
        _writer.Setup(w => w.WriteAsync(It.IsAny<IReadOnlyList<Change>>(), It.IsAny<IReadOnlyList<QuarantineEntry>>(), It.IsAny<CancellationToken>()))
            .Returns((IReadOnlyList<Change> _, IReadOnlyList<QuarantineEntry> _, CancellationToken token) => Task.FromCanceled<WriteResult>(token));

        var result = await Process(cancelled.Token, KeysOnlyInsert(StreamEvents.Books, "11", "book-1"));

        Assert.Equal([RecordOutcome.Failed], result.Outcomes);
        Assert.Equal(["11"], FailedIdentifiers(result));
    }

    [Fact]
    public async Task Cancellation_during_the_write_reports_the_records_failed_instead_of_throwing()
    {
        _writer.Setup(w => w.WriteAsync(It.IsAny<IReadOnlyList<Change>>(), It.IsAny<IReadOnlyList<QuarantineEntry>>(), It.IsAny<CancellationToken>()))
            .Returns((IReadOnlyList<Change> _, IReadOnlyList<QuarantineEntry> _, CancellationToken token) =>
                Task.FromCanceled<WriteResult>(token.IsCancellationRequested ? token : throw new InvalidOperationException("token not forwarded")));
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();

        var result = await Process(cancelled.Token,
            StreamEvents.Insert(StreamEvents.Books, "1", Book("book-1")),
            StreamEvents.Modify(StreamEvents.Carts, "2", new Dictionary<string, AttributeValue> { ["userId"] = S("user-1") }),
            StreamEvents.Remove(StreamEvents.Orders, "3", "ord-1"));

        Assert.Equal([RecordOutcome.Failed, RecordOutcome.Skipped, RecordOutcome.Failed], result.Outcomes);
        Assert.Equal(["1", "3"], FailedIdentifiers(result));
    }

    [Fact]
    public async Task A_change_that_lost_to_a_newer_stored_state_is_superseded()
    {
        _writer.Setup(w => w.WriteAsync(It.IsAny<IReadOnlyList<Change>>(), It.IsAny<IReadOnlyList<QuarantineEntry>>(), It.IsAny<CancellationToken>()))
            .ReturnsAsync((IReadOnlyList<Change> changes, IReadOnlyList<QuarantineEntry> quarantine, CancellationToken _) =>
                new WriteResult { Won = changes.Where(c => c.Key != "book-old").ToHashSet(), Committed = changes, Quarantined = quarantine });

        var result = await Process(
            StreamEvents.Insert(StreamEvents.Books, "1", Book("book-old")),
            StreamEvents.Insert(StreamEvents.Books, "2", Book("book-new")));

        Assert.Equal([RecordOutcome.Superseded, RecordOutcome.Applied], result.Outcomes);
        _metrics.Verify(m => m.Add(MetricNames.RecordsApplied, 2, MetricUnit.Count, null));
    }

    [Fact]
    public async Task A_record_the_writer_quarantines_is_reported_quarantined()
    {
        _writer.Setup(w => w.WriteAsync(It.IsAny<IReadOnlyList<Change>>(), It.IsAny<IReadOnlyList<QuarantineEntry>>(), It.IsAny<CancellationToken>()))
            .ReturnsAsync((IReadOnlyList<Change> changes, IReadOnlyList<QuarantineEntry> quarantine, CancellationToken _) =>
            {
                var refused = changes.Single(c => c.Key == "user-dup");
                return new WriteResult
                {
                    Won = changes.Where(c => c != refused).ToHashSet(),
                    Committed = changes.Where(c => c != refused).ToList(),
                    Quarantined = [.. quarantine, new QuarantineEntry(refused.Records[^1], "users", "user-dup", "email taken", "23505")],
                };
            });

        var result = await Process(
            StreamEvents.Insert(StreamEvents.Users, "1", User("user-one", "sam@example.com")),
            StreamEvents.Insert(StreamEvents.Users, "2", User("user-dup", "sam@example.com")));

        Assert.Equal([RecordOutcome.Applied, RecordOutcome.Quarantined], result.Outcomes);
        Assert.Equal("23505", Assert.Single(result.Quarantined).ErrorCode);
        Assert.Empty(result.ToResponse().BatchItemFailures);
    }

    [Fact]
    public async Task A_change_the_writer_neither_committed_nor_quarantined_stays_failed()
    {
        _writer.Setup(w => w.WriteAsync(It.IsAny<IReadOnlyList<Change>>(), It.IsAny<IReadOnlyList<QuarantineEntry>>(), It.IsAny<CancellationToken>()))
            .ReturnsAsync(new WriteResult { Won = new HashSet<Change>(), Committed = [], Quarantined = [] });

        var result = await Process(StreamEvents.Insert(StreamEvents.Books, "1", Book("book-1")));

        Assert.Equal(["1"], FailedIdentifiers(result));
    }

    [Fact]
    public async Task The_mixed_batch_sample_applies_its_synced_records_and_skips_the_carts()
    {
        var result = await Processor().ProcessAsync(SampleEvents.Read("mixed-batch.json").Records.Select(Source).ToList(), CancellationToken.None);

        Assert.Equal(
            [RecordOutcome.Superseded, RecordOutcome.Applied, RecordOutcome.Skipped, RecordOutcome.Superseded,
             RecordOutcome.Applied, RecordOutcome.Applied, RecordOutcome.Skipped, RecordOutcome.Applied],
            result.Outcomes);
        var changes = ChangeWriter.Sort(OnlyWrite().Changes);
        Assert.Equal(
            [("books", "book-91d0a6c3"), ("books", "book-e81b3f44"), ("orders", "ord-20261123-3b9a07"), ("users", "user-0c7d2b9e")],
            changes.Select(c => (c.Table.Table, c.Key)));
        Assert.Equal("100012300000000003210418", changes[1].SequenceNumber);
        Assert.Equal("100012300000000003210417", changes[2].SequenceNumber);
        Assert.Equal(S("PAID"), ItemMapper.Rebuild(changes[2].Table, changes[2].Key, changes[2].Row!.Values, changes[2].Row!.AttributesJson, changes[2].Row!.Children)["status"]);
    }

    [Fact]
    public async Task Ill_fitting_values_are_counted_and_logged_by_name_without_their_values()
    {
        var book = Book("book-1");
        book["price"] = S("twelve");

        await Process(StreamEvents.Insert(StreamEvents.Books, "1", book));

        _metrics.Verify(m => m.Add(MetricNames.IllFittingValues, 1, MetricUnit.Count, "books"));
        var entry = Assert.Single(_log.Entries, e => e.Fields.ContainsKey("attributes"));
        Assert.Equal(LogLevel.Warning, entry.Level);
        Assert.Equal(["price"], (IEnumerable<string>)entry.Fields["attributes"]!);
        Assert.DoesNotContain(_log.Entries, e => e.Fields.Values.Any(v => v is string s && s.Contains("twelve", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task An_empty_batch_writes_nothing_and_fails_nothing()
    {
        var result = await Processor().ProcessAsync([], CancellationToken.None);

        Assert.Empty(result.Outcomes);
        Assert.Empty(result.ToResponse().BatchItemFailures);
    }
}
