using System.Text.Json;
using CloudShelf.Sync.Cli;
using CloudShelf.Sync.Cli.LocalMapping;
using CloudShelf.Sync.Configuration;
using CloudShelf.Sync.Hosting;
using CloudShelf.Sync.IntegrationTests.Infrastructure;
using CloudShelf.Sync.IntegrationTests.LocalMapping;
using CloudShelf.Sync.Lag;
using CloudShelf.Sync.Observability;
using CloudShelf.Sync.StreamReading;
using CloudShelf.Sync.Streams;
using CloudShelf.Sync.StreamSync;
using static CloudShelf.Sync.Testing.Items;
using static CloudShelf.Sync.Testing.StreamEvents;

namespace CloudShelf.Sync.IntegrationTests.Lag;

/// <summary>
/// Changes the local event source mapping (<c>stream run</c>) really gives up: stream-sync fails while
/// the records age past <c>--maximum-record-age</c>, the mapping writes its on-failure record and moves
/// on. sync-lag must find exactly those changes lost, quarantine them with their records (one open entry
/// each, however often they are found or imported), and replay must make both stores equal again.
/// </summary>
[Collection(StreamsCollection.Name)]
public sealed class LostChangeTests(DynamoDbLocalFixture dynamo, SyncServerFixture postgres) : IDisposable
{
    private readonly string _onFailure = Directory.CreateTempSubdirectory("cloudshelf-on-failure-").FullName;

    private static TableLag Books(LagReport report) => report.Tables.Single(t => t.Table == "books");

    /// <summary>One <c>stream run --drain</c> of the stack's three streams through the given stream-sync.</summary>
    private Task<MappingSummary> StreamRunAsync(LagStack stack, IBatchInvoker invoker, TimeSpan? maximumRecordAge = null)
    {
        var options = new LocalMappingOptions
        {
            Drain = true,
            BatchSize = 50,
            BatchWindow = TimeSpan.FromMilliseconds(100),
            Parallelization = 1,
            PollInterval = TimeSpan.FromMilliseconds(100),
            MaximumRetries = -1,
            MaximumRecordAge = maximumRecordAge,
            OnFailureDirectory = _onFailure,
        };
        var services = stack.Db.Services;
        var mapping = new LocalEventSourceMapping(options, services.DynamoDb, services.StreamReader,
            new ShardCheckpointStore(services.DataSource, ShardCheckpointStore.LocalMappingConsumer), invoker, NullLog.Instance, TimeProvider.System);
        return mapping.RunAsync(services.Mapping.Tables.Select(t => t.SourceTable).ToList(), CancellationToken.None);
    }

    private static IBatchInvoker StreamSync(LagStack stack) =>
        new InProcessInvoker(FunctionCatalog.Create(StreamSyncHandler.Name, stack.Db.Services), TimeProvider.System);

    /// <summary>stream-sync while PostgreSQL is unreachable: every invocation is a function error.</summary>
    private static IBatchInvoker DatabaseDown(LagStack stack) =>
        new StandInInvoker(StreamSync(stack), (_, _, _) =>
            Task.FromResult<InvocationOutcome?>(InvocationOutcome.Failed("NpgsqlException: Failed to connect to 127.0.0.1:5432")));

    private static async Task<(int ExitCode, string Out, string Error)> CliAsync(LagStack stack, params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        var code = await CliApplication.RunAsync(args, new CliConsole(TextReader.Null, Stream.Null, output, error, false),
            new DictionaryEnvironment(stack.Environment), TimeProvider.System, CancellationToken.None);
        return (code, output.ToString(), error.ToString());
    }

    private async Task<int> ImportAsync(LagStack stack)
    {
        var import = await CliAsync(stack, "quarantine", "import", "--dir", _onFailure, "--json");
        Assert.True(import.ExitCode == 0, import.Error);
        using var counts = JsonDocument.Parse(import.Out);
        return counts.RootElement.GetProperty("quarantined").GetInt32();
    }

    /// <summary>The stream records the on-failure records hold, in stream order.</summary>
    private List<DynamoDBStreamRecord> OnFailureBatches() =>
        Directory.GetFiles(_onFailure, "*.json").Order(StringComparer.Ordinal)
            .SelectMany(f =>
            {
                using var record = JsonDocument.Parse(File.ReadAllText(f));
                Assert.Equal("RecordAgeExceeded", record.RootElement.GetProperty("requestContext").GetProperty("condition").GetString());
                return StreamEventSerializer.ReadEvent(System.Text.Encoding.UTF8.GetBytes(record.RootElement.GetProperty("payload").GetString()!)).Records;
            })
            .OrderBy(r => r.Dynamodb!.SequenceNumber!, SequenceNumbers.Comparer)
            .ToList();

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Changes_stream_run_gives_up_after_their_record_age_are_found_lost_quarantined_once_and_replay_restores_them(bool importFirst)
    {
        await using var stack = await LagStack.CreateAsync(postgres, dynamo);
        await stack.PutBookAsync("book-1");
        await stack.PutBookAsync("book-2");
        var before = await StreamRunAsync(stack, StreamSync(stack));
        Assert.Equal(0, before.BatchesToOnFailure);

        // PostgreSQL is down while these three change, for longer than the record age: the mapping gives them up.
        await stack.PutBookAsync("book-3");
        await stack.PutBookAsync("book-1", price: "11.00", stock: 2);
        await stack.DeleteBookAsync("book-2");
        var outage = await StreamRunAsync(stack, DatabaseDown(stack), maximumRecordAge: TimeSpan.FromSeconds(1));
        // Back up: later changes of the same shard are applied.
        await stack.PutBookAsync("book-4");
        await stack.PutBookAsync("book-5");
        var after = await StreamRunAsync(stack, StreamSync(stack));

        var given = OnFailureBatches();
        Assert.True(outage.BatchesToOnFailure > 0);
        Assert.Equal(["INSERT", "MODIFY", "REMOVE"], given.Select(r => r.EventName));
        Assert.Equal(3, outage.Streams.Sum(s => s.RecordsToOnFailure));
        Assert.Equal((0, 2), (after.BatchesToOnFailure, (int)after.Streams.Sum(s => s.RecordsDelivered)));
        Assert.Null(await stack.Db.ItemAsync(stack.Books, "book-3"));
        if (importFirst) Assert.Equal(3, await ImportAsync(stack));

        var clock = new ManualClock(DateTimeOffset.UtcNow);
        var monitor = stack.Monitor(clock);
        var withinGrace = await monitor.RunAsync(CancellationToken.None);
        clock.Advance(stack.Settings.Lag.LostGrace + TimeSpan.FromSeconds(1));
        var afterGrace = await monitor.RunAsync(CancellationToken.None);

        // Imported first, the changes are already in the quarantine: sync-lag counts them lost but adds nothing.
        Assert.Equal(importFirst ? (0L, 3L) : (3L, 0L), (Books(withinGrace).UnappliedChanges, Books(withinGrace).LostChanges));
        Assert.Equal((0L, 3L, importFirst ? 0 : 3), (Books(afterGrace).UnappliedChanges, Books(afterGrace).LostChanges, Books(afterGrace).NewlyLost));
        Assert.False(afterGrace.Healthy);
        Assert.All(afterGrace.Tables.Where(t => t.Table != "books"), t => Assert.Equal(0L, t.LostChanges));

        // Found by sync-lag, imported (again), found again: still one open entry per change, its finds counted.
        Assert.Equal(0, await ImportAsync(stack));
        await monitor.RunAsync(CancellationToken.None);
        var entries = (await stack.Db.Services.Quarantine.ListAsync("books", includeResolved: true))
            .OrderBy(q => q.SequenceNumber!, SequenceNumbers.Comparer).ToList();
        Assert.Equal(given.Select(r => r.Dynamodb!.SequenceNumber), entries.Select(q => q.SequenceNumber));
        Assert.All(entries, q => Assert.Null(q.ResolvedAt));
        Assert.All(entries, q => Assert.Equal(2, q.Deliveries));
        Assert.All(entries, q => Assert.Equal(importFirst ? LostChangeQuarantine.OnFailureCode : LostChangeQuarantine.LostCode, q.ErrorCode));
        // Each entry holds the full record as the stream gave it.
        for (var i = 0; i < given.Count; i++)
            Assert.Equal(StreamEventSerializer.RecordJson(given[i]), entries[i].RecordJson);
        Assert.Contains("\"NewImage\"", entries[1].RecordJson, StringComparison.Ordinal);
        Assert.Contains("\"OldImage\"", entries[2].RecordJson, StringComparison.Ordinal);

        var replay = await CliAsync(stack, "quarantine", "replay", "--all-open");

        Assert.True(replay.ExitCode == 0, replay.Error);
        await stack.AssertStoresEqualAsync();
        Assert.Empty(await stack.Db.Services.Quarantine.ListAsync());
        var restored = await monitor.RunAsync(CancellationToken.None);
        Assert.All(restored.Tables, t => Assert.Equal((0L, 0L), (t.LostChanges, t.UnappliedChanges)));
        Assert.True(restored.Healthy, string.Join("; ", restored.Problems));
    }

    [Fact]
    public async Task A_lost_change_found_again_or_imported_as_well_stays_one_open_entry_and_keeps_the_reason_it_was_first_quarantined_for()
    {
        await using var db = await SyncDatabase.CreateAsync(postgres);
        var record = Insert(Users, "300000000000000000901", User("user-2", "ada@example.com"));
        var keyless = Record(Users, "INSERT", "300000000000000000902", [], new Dictionary<string, AttributeValue> { ["name"] = S("no key") }, null);
        // stream-sync's own entry: user-2 wants an e-mail user-1 holds.
        Assert.Empty((await db.HandleAsync(Insert(Users, "300000000000000000900", User("user-1", "ada@example.com")), record)).BatchItemFailures);
        var byStreamSync = Assert.Single(await db.Services.Quarantine.ListAsync());
        LostChangeQuarantine.Entry Entry(DynamoDBStreamRecord r, string? key, string code) =>
            new(Users, "users", key, r.Dynamodb!.SequenceNumber!, r.EventName, "found by " + code, code, StreamEventSerializer.RecordJson(r));

        var first = await LostChangeQuarantine.AddAsync(db.Services.DataSource,
            [Entry(record, "user-2", LostChangeQuarantine.LostCode), Entry(keyless, null, LostChangeQuarantine.LostCode)], CancellationToken.None);
        var second = await LostChangeQuarantine.AddAsync(db.Services.DataSource,
            [Entry(record, "user-2", LostChangeQuarantine.OnFailureCode), Entry(keyless, null, LostChangeQuarantine.OnFailureCode),
             Entry(keyless, null, LostChangeQuarantine.OnFailureCode)], CancellationToken.None);

        Assert.Equal((1, 0), (first, second));
        var open = await db.Services.Quarantine.ListAsync(includeResolved: true);
        Assert.Equal(2, open.Count);
        var conflict = open.Single(q => q.Id == byStreamSync.Id);
        Assert.Equal((byStreamSync.ErrorCode, byStreamSync.Reason, byStreamSync.ConflictKey, 3), (conflict.ErrorCode, conflict.Reason, conflict.ConflictKey, conflict.Deliveries));
        var lost = open.Single(q => q.Id != byStreamSync.Id);
        Assert.Equal((LostChangeQuarantine.LostCode, (string?)null, 2), (lost.ErrorCode, lost.Key, lost.Deliveries));
        Assert.All(open, q => Assert.Null(q.ResolvedAt));
    }

    /// <inheritdoc />
    public void Dispose() => Directory.Delete(_onFailure, recursive: true);
}
