using System.Text;
using System.Text.Json;
using CloudShelf.Sync.Cli;
using CloudShelf.Sync.Configuration;
using CloudShelf.Sync.Cutover;
using CloudShelf.Sync.Drift;
using CloudShelf.Sync.IntegrationTests.Infrastructure;
using CloudShelf.Sync.IntegrationTests.Lag;
using CloudShelf.Sync.Lag;
using CloudShelf.Sync.Postgres;
using CloudShelf.Sync.StreamReading;
using CloudShelf.Sync.Streams;
using DynamoAttribute = Amazon.DynamoDBv2.Model.AttributeValue;

namespace CloudShelf.Sync.IntegrationTests.Cutover;

/// <summary>cutover-check against DynamoDB Local and PostgreSQL, with stream-sync fed by hand (<see cref="LagStack"/>).</summary>
[Collection(SyncServerCollection.Name)]
public sealed class CutoverCheckTests(SyncServerFixture postgres, DynamoDbLocalFixture dynamo) : IClassFixture<DynamoDbLocalFixture>
{
    private static readonly CutoverOptions Now = new() { PollInterval = TimeSpan.FromMilliseconds(200) };

    private static CutoverGate Gate(LagStack stack, DynamoDbStreamsClient streams, SyncLagMonitor? monitor = null, BatchStatsStore? stats = null)
    {
        var services = stack.Db.Services;
        return new CutoverGate(services.Mapping, services.DataSource, services.Migrator, services.DynamoDb,
            new StreamArnSource(stack.Settings.Lag, () => services.DynamoDb), new DynamoDbStreamReader(streams, TimeProvider.System),
            monitor ?? stack.Monitor(TimeProvider.System), stats ?? services.BatchStats, new CutoverSettings(), stack.Settings.Lag, TimeProvider.System);
    }

    private static GateCheck Check(CutoverReport report, string name) => report.Checks.Single(c => c.Name == name);

    private static string[] Failed(CutoverReport report) => report.Checks.Where(c => !c.Ok).Select(c => c.Name).ToArray();

    /// <summary>Every record a table's stream holds now, read by a reader of the test's own.</summary>
    private static async Task<IReadOnlyList<DynamoDBStreamRecord>> RecordsAsync(LagStack stack, DynamoDbStreamsClient streams, string sourceTable)
    {
        var reader = new DynamoDbStreamReader(streams, TimeProvider.System);
        var arn = await new StreamArnSource(stack.Settings.Lag, () => stack.DynamoDb)
            .StreamArnAsync(stack.Db.Services.Mapping.ForSourceTable(sourceTable)!, CancellationToken.None);
        var records = new List<DynamoDBStreamRecord>();
        foreach (var shard in (await reader.DescribeStreamAsync(arn, CancellationToken.None)).Shards)
        {
            var read = await reader.ReadShardAsync(arn, shard, StreamPosition.TrimHorizon, new ShardReadBudget(10_000, TimeSpan.FromSeconds(30)), CancellationToken.None);
            records.AddRange(read.Records);
        }
        return records;
    }

    private static Task<DriftReport> DriftAsync(LagStack stack, bool repair = false) =>
        stack.Db.Services.Drift.RunAsync(new DriftOptions { Repair = repair, RecheckDelay = TimeSpan.Zero, Segments = 2 }, CancellationToken.None);

    private static Task PutUserAsync(LagStack stack, string id, string email) =>
        stack.DynamoDb.PutItemAsync(stack.Settings.Tables.Users, new Dictionary<string, DynamoAttribute>
        {
            ["userId"] = new() { S = id },
            ["email"] = new() { S = email },
            ["name"] = new() { S = "Name of " + id },
        });

    private static async Task<(int ExitCode, string Out)> CliAsync(Dictionary<string, string> environment, params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        using var input = new MemoryStream();
        using var inputReader = new StreamReader(input);
        var console = new CliConsole(inputReader, input, output, error, false);
        var code = await CliApplication.RunAsync(args, console, new DictionaryEnvironment(environment), TimeProvider.System, CancellationToken.None);
        return (code, output.ToString());
    }

    [Fact]
    public async Task Drift_is_no_go_until_a_repair_and_a_clean_pass_and_then_the_cli_exits_0_with_go()
    {
        await using var stack = await LagStack.CreateAsync(postgres, dynamo);
        using var streams = DynamoDbStreamsClient.Create(stack.Settings, TimeProvider.System);
        for (var i = 1; i <= 5; i++) await stack.PutBookAsync($"book-{i}");
        await stack.ApplyAsync(await stack.BookRecordsAsync());
        await stack.Db.ScalarAsync<int>("UPDATE cloudshelf.books SET title = 'tampered' WHERE book_id = 'book-3' RETURNING 1");
        await DriftAsync(stack);

        var drifted = await Gate(stack, streams).RunAsync(Now, CancellationToken.None);

        Assert.False(drifted.Go);
        Assert.Equal(["drift books"], Failed(drifted));
        Assert.Contains("1 open drift", Check(drifted, "drift books").Value, StringComparison.Ordinal);
        var (noGo, noGoJson) = await CliAsync(stack.Environment, "cutover-check", "--json");
        Assert.Equal(1, noGo);
        Assert.Equal("NO-GO", JsonDocument.Parse(noGoJson).RootElement.GetProperty("verdict").GetString());

        await DriftAsync(stack, repair: true);
        await DriftAsync(stack);
        var repaired = await Gate(stack, streams).RunAsync(Now, CancellationToken.None);

        Assert.True(repaired.Go, string.Join("; ", repaired.Checks.Where(c => !c.Ok).Select(c => $"{c.Name}: {c.Value}")));
        Assert.Equal("DynamoDB 5 items, PostgreSQL 5 rows + 0 quarantined without a row", Check(repaired, "counts books").Value);
        var (go, goJson) = await CliAsync(stack.Environment, "cutover-check", "--json");
        Assert.Equal(0, go);
        using var document = JsonDocument.Parse(goJson);
        Assert.Equal("GO", document.RootElement.GetProperty("verdict").GetString());
        Assert.All(document.RootElement.GetProperty("checks").EnumerateArray(), c =>
        {
            Assert.True(c.GetProperty("ok").GetBoolean());
            Assert.False(string.IsNullOrEmpty(c.GetProperty("threshold").GetString()));
        });
        var (text, lines) = await CliAsync(stack.Environment, "cutover-check");
        Assert.Equal(0, text);
        Assert.Equal("GO", lines.TrimEnd().Split('\n')[^1].Trim());
        await stack.AssertBooksEqualAsync();
    }

    [Fact]
    public async Task A_quarantined_record_is_no_go_and_the_hour_it_raised_the_error_rate_in_too_until_it_is_replayed_after_the_fix()
    {
        await using var stack = await LagStack.CreateAsync(postgres, dynamo);
        using var streams = DynamoDbStreamsClient.Create(stack.Settings, TimeProvider.System);
        await PutUserAsync(stack, "user-a", "sam@example.com");
        await PutUserAsync(stack, "user-b", "sam@example.com");
        await stack.ApplyAsync(await RecordsAsync(stack, streams, stack.Settings.Tables.Users));
        await DriftAsync(stack);

        var quarantined = await Gate(stack, streams).RunAsync(Now, CancellationToken.None);

        Assert.False(quarantined.Go);
        Assert.Contains("quarantine", Failed(quarantined));
        Assert.Contains("error rate", Failed(quarantined));
        Assert.Equal("1 open entries (users 1)", Check(quarantined, "quarantine").Value);
        // user-b exists in DynamoDB and only in the quarantine: counted as held back, not as missing.
        Assert.True(Check(quarantined, "counts users").Ok);
        Assert.Equal("DynamoDB 2 items, PostgreSQL 1 rows + 1 quarantined without a row", Check(quarantined, "counts users").Value);
        // sync-lag (run by the gate) publishes the gauge the quarantine alarm watches.
        stack.Metrics.Flush();
        Assert.Contains("\"QuarantineOpen\":1", stack.Db.Output.ToString(), StringComparison.Ordinal);

        // The fix in DynamoDB, its change applied, the old record replayed (now older than the row: resolved).
        await PutUserAsync(stack, "user-b", "robin@example.com");
        await stack.ApplyAsync((await RecordsAsync(stack, streams, stack.Settings.Tables.Users)).Skip(2));
        await stack.Db.Services.Replayer.ReplayAsync(null);
        await DriftAsync(stack);
        // An hour on, the quarantined batch has left the error rate's window.
        var hourLater = new BatchStatsStore(stack.Db.Services.DataSource, new ManualClock(DateTimeOffset.UtcNow.AddMinutes(61)));
        var fixedUp = await Gate(stack, streams, stats: hourLater).RunAsync(Now, CancellationToken.None);
        var sameHour = await Gate(stack, streams).RunAsync(Now, CancellationToken.None);

        Assert.True(fixedUp.Go, string.Join("; ", fixedUp.Checks.Where(c => !c.Ok).Select(c => $"{c.Name}: {c.Value}")));
        Assert.Equal(["error rate"], Failed(sameHour));
        Assert.Equal(0L, await stack.Db.ScalarAsync<long>("SELECT count(*) FROM cloudshelf_sync.quarantine WHERE resolved_at IS NULL"));
        Assert.Equal(2L, await stack.Db.ScalarAsync<long>("SELECT count(*) FROM cloudshelf.users"));
    }

    [Fact]
    public async Task Lag_over_30_seconds_is_no_go_and_go_once_the_changes_are_applied()
    {
        await using var stack = await LagStack.CreateAsync(postgres, dynamo);
        using var streams = DynamoDbStreamsClient.Create(stack.Settings, TimeProvider.System);
        await stack.PutBookAsync("book-1");
        await stack.PutBookAsync("book-2");
        await DriftAsync(stack);
        // Two minutes after the writes, as sync-lag's clock sees it.
        var monitor = stack.Monitor(new ManualClock(DateTimeOffset.UtcNow.AddMinutes(2)));

        var behind = await Gate(stack, streams, monitor).RunAsync(Now, CancellationToken.None);

        Assert.Contains("lag", Failed(behind));
        Assert.StartsWith("books 1", Check(behind, "lag").Value, StringComparison.Ordinal);
        // Live, the two unapplied changes may stand between the counts.
        Assert.True(Check(behind, "counts books").Ok);
        Assert.Equal("equal within the 2 unapplied changes", Check(behind, "counts books").Threshold);

        await stack.ApplyAsync(await stack.BookRecordsAsync());
        await DriftAsync(stack);
        var drained = await Gate(stack, streams, monitor).RunAsync(Now, CancellationToken.None);

        Assert.True(drained.Go, string.Join("; ", drained.Checks.Where(c => !c.Ok).Select(c => $"{c.Name}: {c.Value}")));
        await stack.AssertBooksEqualAsync();
    }

    [Fact]
    public async Task Final_waits_until_the_stream_audit_shows_no_unapplied_change()
    {
        await using var stack = await LagStack.CreateAsync(postgres, dynamo);
        using var streams = DynamoDbStreamsClient.Create(stack.Settings, TimeProvider.System);
        await stack.PutBookAsync("book-1");
        await stack.ApplyAsync(await stack.BookRecordsAsync());
        await DriftAsync(stack);
        await stack.PutBookAsync("book-2", price: "11.00");
        await stack.PutBookAsync("book-1", price: "12.00");

        var final = Gate(stack, streams).RunAsync(Now with { Final = true, Timeout = TimeSpan.FromMinutes(2) }, CancellationToken.None);
        // Writes are frozen; stream-sync catches up only after the gate's first audit found the changes unapplied.
        while (Count(stack.Db.Output.ToString(), "Sync lag measured") < 3 && !final.IsCompleted) await Task.Delay(50);
        Assert.False(final.IsCompleted);
        await stack.ApplyAsync((await stack.BookRecordsAsync()).Skip(1));
        var report = await final;

        Assert.True(report.Go, string.Join("; ", report.Checks.Where(c => !c.Ok).Select(c => $"{c.Name}: {c.Value}")));
        Assert.StartsWith("0 unapplied, streams read to their end after ", Check(report, "unapplied").Value, StringComparison.Ordinal);
        Assert.DoesNotContain("after 1 audit(s)", Check(report, "unapplied").Value, StringComparison.Ordinal);
        Assert.Equal("equal", Check(report, "counts books").Threshold);
        await stack.AssertBooksEqualAsync();
    }

    [Fact]
    public async Task Final_answers_no_go_when_the_audit_never_drains_before_the_timeout()
    {
        await using var stack = await LagStack.CreateAsync(postgres, dynamo);
        using var streams = DynamoDbStreamsClient.Create(stack.Settings, TimeProvider.System);
        await stack.PutBookAsync("book-1");
        await DriftAsync(stack);

        var report = await Gate(stack, streams).RunAsync(Now with { Final = true, Timeout = TimeSpan.FromSeconds(1) }, CancellationToken.None);

        Assert.False(report.Go);
        Assert.Null(report.CouldNotRun);
        Assert.False(Check(report, "unapplied").Ok);
        Assert.StartsWith("1 unapplied", Check(report, "unapplied").Value, StringComparison.Ordinal);
        // Writes frozen, the counts must be equal: the unapplied insert makes them differ.
        Assert.False(Check(report, "counts books").Ok);
        var (code, json) = await CliAsync(stack.Environment, "cutover-check", "--final", "--timeout", "1", "--json");
        Assert.Equal(1, code);
        Assert.Equal("NO-GO", JsonDocument.Parse(json).RootElement.GetProperty("verdict").GetString());
    }

    [Fact]
    public async Task An_unreachable_store_means_it_could_not_run_exit_2()
    {
        await using var stack = await LagStack.CreateAsync(postgres, dynamo);
        var noDynamo = new Dictionary<string, string>(stack.Environment)
        {
            [SyncSettings.DynamoDbEndpointVariable] = $"http://127.0.0.1:{Testing.FreeTcpPort.Next()}",
        };
        var noPostgres = new Dictionary<string, string>(stack.Environment)
        {
            [SyncSettings.PostgresConnectionVariable] = $"Host=127.0.0.1;Port={Testing.FreeTcpPort.Next()};Username=x;Password=x;Timeout=2",
        };

        var (dynamoCode, dynamoJson) = await CliAsync(noDynamo, "cutover-check", "--json");
        var (postgresCode, postgresText) = await CliAsync(noPostgres, "cutover-check");
        var (badSetting, _) = await CliAsync(new Dictionary<string, string>(stack.Environment) { [CutoverSettings.MaxErrorRateVariable] = "lots" }, "cutover-check");

        Assert.Equal(2, dynamoCode);
        using var document = JsonDocument.Parse(dynamoJson);
        Assert.Equal("NO-GO", document.RootElement.GetProperty("verdict").GetString());
        Assert.False(document.RootElement.GetProperty("checks").EnumerateArray().Single(c => c.GetProperty("name").GetString() == "dynamodb").GetProperty("ok").GetBoolean());
        Assert.Equal(2, postgresCode);
        Assert.Contains("NO-GO: could not run: PostgreSQL is unreachable", postgresText, StringComparison.Ordinal);
        Assert.Equal(2, badSetting);
    }

    private static int Count(string text, string what)
    {
        var count = 0;
        for (var at = text.IndexOf(what, StringComparison.Ordinal); at >= 0; at = text.IndexOf(what, at + what.Length, StringComparison.Ordinal)) count++;
        return count;
    }
}
