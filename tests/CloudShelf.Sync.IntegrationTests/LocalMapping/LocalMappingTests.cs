using System.Text.Json;
using CloudShelf.Sync.Cli;
using CloudShelf.Sync.Cli.LocalMapping;
using CloudShelf.Sync.Configuration;
using CloudShelf.Sync.Hosting;
using CloudShelf.Sync.IntegrationTests.Infrastructure;
using CloudShelf.Sync.Observability;
using CloudShelf.Sync.StreamReading;
using CloudShelf.Sync.Streams;
using CloudShelf.Sync.StreamSync;
using CloudShelf.Sync.Testing;
using static CloudShelf.Sync.Testing.Items;

namespace CloudShelf.Sync.IntegrationTests.LocalMapping;

/// <summary>
/// The local event source mapping end to end: writes through the AWS SDK into DynamoDB Local, its
/// own stream records through <c>stream run</c> into PostgreSQL, then both stores scanned and compared.
/// </summary>
[Collection(StreamsCollection.Name)]
public sealed class LocalMappingTests(DynamoDbLocalFixture dynamo, SyncServerFixture postgres) : IDisposable
{
    private static readonly ILog Log = new JsonLogger(TextWriter.Synchronized(new StreamWriter("/tmp/streams8-mapping.log", append: true) { AutoFlush = true }),
        new LogContext { FunctionName = "stream-run" }, TimeProvider.System, LogLevel.Debug);

    private readonly string _onFailure = Directory.CreateTempSubdirectory("cloudshelf-on-failure-").FullName;

    private LocalMappingOptions Options(int parallelization = 2) => new()
    {
        Drain = true,
        BatchSize = 50,
        BatchWindow = TimeSpan.FromMilliseconds(200),
        Parallelization = parallelization,
        PollInterval = TimeSpan.FromMilliseconds(100),
        OnFailureDirectory = _onFailure,
    };

    private static IBatchInvoker InProcess(SyncDatabase database) =>
        new InProcessInvoker(FunctionCatalog.Create(StreamSyncHandler.Name, database.Services), TimeProvider.System);

    private static Task<MappingSummary> DrainAsync(SyncDatabase database, StreamTables tables, LocalMappingOptions options, IBatchInvoker invoker,
        CancellationToken cancellationToken = default)
    {
        var mapping = new LocalEventSourceMapping(options, database.Services.DynamoDb, database.Services.StreamReader,
            new ShardCheckpointStore(database.Services.DataSource, ShardCheckpointStore.LocalMappingConsumer), invoker, Log, TimeProvider.System);
        return mapping.RunAsync([tables.Books, tables.Users, tables.Orders, tables.Carts], cancellationToken);
    }

    private async Task<(StreamTables Tables, SyncDatabase Database)> StackAsync()
    {
        var tables = await StreamTables.CreateAsync(dynamo);
        return (tables, await SyncDatabase.CreateAsync(postgres, settings: tables.Settings));
    }

    private IReadOnlyList<JsonElement> OnFailureRecords() =>
        Directory.GetFiles(_onFailure, "*.json").Order(StringComparer.Ordinal)
            .Select(f => JsonDocument.Parse(File.ReadAllText(f)).RootElement).ToList();

    [Fact]
    public async Task Writes_through_the_sdk_arrive_in_postgres_in_every_table_and_a_second_drain_applies_nothing()
    {
        var (tables, database) = await StackAsync();
        using var _ = tables;
        await using var __ = database;
        var writes = await Workload.RunAsync(tables, seed: 8);

        var first = await DrainAsync(database, tables, Options(), InProcess(database));
        await tables.AssertPostgresEqualsDynamoDbAsync(database);
        var snapshot = await database.SnapshotAsync();
        var second = await DrainAsync(database, tables, Options(), InProcess(database));

        // A delete of an absent item writes no stream record, so there are at most as many records as writes.
        Assert.InRange(first.Streams.Sum(s => s.RecordsRead), writes / 2, writes);
        Assert.Equal(first.Streams.Sum(s => s.RecordsRead), first.Streams.Sum(s => s.RecordsDelivered));
        Assert.True(first.Streams.Single(s => s.Table == tables.Carts).RecordsDelivered > 0);
        Assert.Equal(0, first.BatchesToOnFailure);
        Assert.Equal(0, second.Streams.Sum(s => s.RecordsRead));
        Assert.Equal(0, second.Streams.Sum(s => s.Invocations));
        Assert.Equal(snapshot, await database.SnapshotAsync());
        Assert.Equal(0L, await database.ScalarAsync<long>("SELECT count(*) FROM cloudshelf_sync.quarantine"));
    }

    [Fact]
    public async Task A_second_run_continues_after_the_checkpoint_of_the_first()
    {
        var (tables, database) = await StackAsync();
        using var _ = tables;
        await using var __ = database;
        for (var i = 0; i < 5; i++) await tables.PutAsync(tables.Books, Book($"book-{i}"));
        var first = await DrainAsync(database, tables, Options(), InProcess(database));
        for (var i = 3; i < 6; i++) await tables.PutAsync(tables.Books, Book($"book-{i}", price: "1.50"));
        await tables.DeleteAsync(tables.Books, "bookId", "book-0");

        var second = await DrainAsync(database, tables, Options(), InProcess(database));

        Assert.Equal(5, first.Streams.Sum(s => s.RecordsRead));
        Assert.Equal(4, second.Streams.Sum(s => s.RecordsRead));
        await tables.AssertPostgresEqualsDynamoDbAsync(database);
    }

    [Fact]
    public async Task With_parallelization_4_the_changes_of_each_item_arrive_in_stream_order()
    {
        var (tables, database) = await StackAsync();
        using var _ = tables;
        await using var __ = database;
        for (var round = 0; round < 15; round++)
        {
            for (var key = 0; key < 8; key++) await tables.PutAsync(tables.Books, Workload.EdgeBook($"book-{key}", round));
        }
        var invoker = new StandInInvoker(InProcess(database));

        var summary = await DrainAsync(database, tables, Options(parallelization: 4) with { BatchSize = 10 }, invoker);

        Assert.Equal(120, summary.Streams.Sum(s => s.RecordsDelivered));
        Assert.Equal(8, invoker.DeliveredByKey.Count);
        foreach (var (key, sequences) in invoker.DeliveredByKey)
            Assert.True(sequences.SequenceEqual(sequences.Order(SequenceNumbers.Comparer)), $"{key} was delivered out of order");
        await tables.AssertPostgresEqualsDynamoDbAsync(database);
    }

    [Fact]
    public async Task A_partial_failure_is_retried_from_the_lowest_failed_record_and_nothing_is_lost()
    {
        var (tables, database) = await StackAsync();
        using var _ = tables;
        await using var __ = database;
        for (var i = 0; i < 10; i++) await tables.PutAsync(tables.Books, Book($"book-{i}"));
        var failedOnce = false;
        string? lowestFailed = null;
        var invoker = new StandInInvoker(InProcess(database), async (self, dynamoEvent, _) =>
        {
            if (failedOnce || !StandInInvoker.Contains(dynamoEvent, "book-4")) return null;
            failedOnce = true;
            // Apply the records before book-4 for real, and report book-4 and a later one as failed.
            var index = dynamoEvent.Records.FindIndex(r => r.Dynamodb!.Keys!["bookId"].S == "book-4");
            var prefix = new DynamoDBEvent { Records = dynamoEvent.Records[..index] };
            if (prefix.Records.Count > 0)
                await self.Real.InvokeAsync(JsonSerializer.SerializeToUtf8Bytes(prefix, StreamJsonContext.Default.DynamoDBEvent), CancellationToken.None);
            lowestFailed = dynamoEvent.Records[index].Dynamodb!.SequenceNumber;
            return InvocationOutcome.Answered(new StreamsEventResponse
            {
                BatchItemFailures = [new() { ItemIdentifier = dynamoEvent.Records[^1].Dynamodb!.SequenceNumber }, new() { ItemIdentifier = lowestFailed }],
            });
        });

        var summary = await DrainAsync(database, tables, Options(parallelization: 1) with { BatchSize = 100 }, invoker);

        Assert.True(failedOnce);
        Assert.Equal(1, summary.Streams.Sum(s => s.PartialFailures));
        Assert.Contains(invoker.Invocations, sequences => sequences[0] == lowestFailed);
        Assert.Equal(0, summary.BatchesToOnFailure);
        await tables.AssertPostgresEqualsDynamoDbAsync(database);
    }

    [Fact]
    public async Task A_function_error_is_bisected_until_only_the_bad_record_goes_to_the_on_failure_destination()
    {
        var (tables, database) = await StackAsync();
        using var _ = tables;
        await using var __ = database;
        for (var i = 0; i < 12; i++) await tables.PutAsync(tables.Books, Book(i == 7 ? "book-poison" : $"book-{i}"));
        var invoker = new StandInInvoker(InProcess(database), (_, dynamoEvent, _) =>
            Task.FromResult(StandInInvoker.Contains(dynamoEvent, "book-poison", removes: false)
                ? InvocationOutcome.Failed("InvalidOperationException: poison")
                : null));

        var summary = await DrainAsync(database, tables, Options(parallelization: 1) with { BatchSize = 100, MaximumRetries = 2 }, invoker);

        var record = Assert.Single(OnFailureRecords());
        var info = record.GetProperty("DDBStreamBatchInfo");
        Assert.Equal("RetryAttemptsExhausted", record.GetProperty("requestContext").GetProperty("condition").GetString());
        Assert.Equal(3, record.GetProperty("requestContext").GetProperty("approximateInvokeCount").GetInt32());
        Assert.Equal(1, info.GetProperty("batchSize").GetInt32());
        var payload = StreamEventSerializer.ReadEvent(System.Text.Encoding.UTF8.GetBytes(record.GetProperty("payload").GetString()!));
        Assert.Equal("book-poison", Assert.Single(payload.Records).Dynamodb!.Keys!["bookId"].S);
        Assert.Equal(info.GetProperty("startSequenceNumber").GetString(), payload.Records[0].Dynamodb!.SequenceNumber);
        Assert.True(summary.Streams.Sum(s => s.Bisections) >= 3);
        Assert.Equal(1, summary.BatchesToOnFailure);
        Assert.Null(await database.ItemAsync(tables.Books, "book-poison"));

        // The lost item comes back with its next change; then both stores agree.
        await tables.DeleteAsync(tables.Books, "bookId", "book-poison");
        await DrainAsync(database, tables, Options(), invoker);
        await tables.AssertPostgresEqualsDynamoDbAsync(database);
    }

    [Fact]
    public async Task Records_older_than_the_maximum_record_age_go_to_the_on_failure_destination()
    {
        var (tables, database) = await StackAsync();
        using var _ = tables;
        await using var __ = database;
        for (var i = 0; i < 6; i++) await tables.PutAsync(tables.Users, User($"user-{i}", $"user-{i}@example.com"));
        var invoker = new StandInInvoker(InProcess(database), (_, _, _) => Task.FromResult<InvocationOutcome?>(InvocationOutcome.Failed("TimeoutException: database down")));

        var summary = await DrainAsync(database, tables,
            Options(parallelization: 1) with { MaximumRetries = -1, MaximumRecordAge = TimeSpan.FromSeconds(1) }, invoker);

        var arn = await tables.StreamArnAsync(tables.Users);
        var records = OnFailureRecords();
        Assert.NotEmpty(records);
        Assert.All(records, r => Assert.Equal("RecordAgeExceeded", r.GetProperty("requestContext").GetProperty("condition").GetString()));
        Assert.Equal(6, records.Sum(r => r.GetProperty("DDBStreamBatchInfo").GetProperty("batchSize").GetInt32()));
        Assert.Equal(6, summary.Streams.Sum(s => s.RecordsToOnFailure));
        Assert.All(records, r =>
        {
            var info = r.GetProperty("DDBStreamBatchInfo");
            Assert.Equal(arn, info.GetProperty("streamArn").GetString());
            Assert.Matches(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$", info.GetProperty("approximateArrivalOfFirstRecord").GetString());
            Assert.Equal("1.0", r.GetProperty("version").GetString());
            Assert.Equal(200, r.GetProperty("responseContext").GetProperty("statusCode").GetInt32());
        });
        Assert.Equal(0L, await database.ScalarAsync<long>("SELECT count(*) FROM cloudshelf.users"));
    }

    [Fact]
    public async Task Cancelling_stops_after_the_batch_in_flight_and_checkpoints_it()
    {
        var (tables, database) = await StackAsync();
        using var _ = tables;
        await using var __ = database;
        for (var i = 0; i < 10; i++) await tables.PutAsync(tables.Books, Book($"book-{i}"));
        using var cancel = new CancellationTokenSource();
        var invoked = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var invoker = new StandInInvoker(InProcess(database), async (_, _, _) =>
        {
            invoked.TrySetResult();
            await release.Task;
            return null;
        });

        var run = DrainAsync(database, tables, Options(parallelization: 1) with { Drain = false, BatchSize = 4, BatchWindow = TimeSpan.Zero }, invoker, cancel.Token);
        await invoked.Task.WaitAsync(TimeSpan.FromSeconds(60));
        await cancel.CancelAsync();
        release.SetResult();
        var first = await run.WaitAsync(TimeSpan.FromSeconds(60));
        var second = await DrainAsync(database, tables, Options(), InProcess(database));

        var delivered = first.Streams.Sum(s => s.RecordsDelivered);
        Assert.True(delivered is > 0 and < 10, $"{delivered} records delivered before stopping");
        Assert.Equal(10 - delivered, second.Streams.Sum(s => s.RecordsRead));
        await tables.AssertPostgresEqualsDynamoDbAsync(database);
    }

    [Fact]
    public async Task Stream_run_through_the_cli_drains_and_exits_0()
    {
        var (tables, database) = await StackAsync();
        using var _ = tables;
        await using var __ = database;
        await Workload.RunAsync(tables, seed: 3, operations: 60);

        var (exit, output, errors) = await CliAsync(tables, database,
            ["stream", "run", "--drain", "--json", "--tables", $"books,users,orders,{tables.Carts}", "--batch-window", "0", "--on-failure-dir", _onFailure]);

        Assert.True(exit == 0, errors);
        using var report = JsonDocument.Parse(output);
        Assert.Equal(4, report.RootElement.GetProperty("streams").GetArrayLength());
        Assert.Equal(0, report.RootElement.GetProperty("batchesToOnFailure").GetInt32());
        await tables.AssertPostgresEqualsDynamoDbAsync(database);
    }

    [Fact]
    public async Task Stream_run_with_the_published_bootstrap_applies_the_stream()
    {
        var bootstrap = await PublishedBootstrap.PathAsync();
        var (tables, database) = await StackAsync();
        using var _ = tables;
        await using var __ = database;
        await Workload.RunAsync(tables, seed: 5, operations: 60);

        var (exit, output, errors) = await CliAsync(tables, database,
            ["stream", "run", "--drain", "--bootstrap", bootstrap, "--batch-window", "0", "--on-failure-dir", _onFailure]);

        Assert.True(exit == 0, errors);
        Assert.Contains(tables.Books + ":", output, StringComparison.Ordinal);
        // The bootstrap's own JSON logs came through.
        Assert.Contains("\"function_name\":\"cloudshelf-sync-local-stream-sync\"", errors, StringComparison.Ordinal);
        await tables.AssertPostgresEqualsDynamoDbAsync(database);
    }

    private static async Task<(int Exit, string Output, string Errors)> CliAsync(StreamTables tables, SyncDatabase database, string[] args)
    {
        var environment = new Dictionary<string, string>(tables.Settings)
        {
            [SyncSettings.PostgresConnectionVariable] = database.ConnectionString,
            [SyncSettings.LogLevelVariable] = "INFO",
        };
        using var output = new StringWriter();
        using var errors = new StringWriter();
        var console = new CliConsole(TextReader.Null, Stream.Null, output, TextWriter.Synchronized(errors), false);
        var exit = await CliApplication.RunAsync(args, console, new DictionaryEnvironment(environment), TimeProvider.System, CancellationToken.None);
        return (exit, output.ToString(), errors.ToString());
    }

    public void Dispose() => Directory.Delete(_onFailure, recursive: true);
}
