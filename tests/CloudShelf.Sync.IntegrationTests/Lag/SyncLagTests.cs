using System.Text.Json;
using CloudShelf.Sync.Cli;
using CloudShelf.Sync.Configuration;
using CloudShelf.Sync.IntegrationTests.Infrastructure;
using CloudShelf.Sync.Lag;
using CloudShelf.Sync.StreamReading;

namespace CloudShelf.Sync.IntegrationTests.Lag;

/// <summary>sync-lag against DynamoDB Local's streams and PostgreSQL, with stream-sync fed by hand.</summary>
[Collection(SyncServerCollection.Name)]
public sealed class SyncLagTests(SyncServerFixture postgres, DynamoDbLocalFixture dynamo) : IClassFixture<DynamoDbLocalFixture>
{
    private static TableLag Books(LagReport report) => report.Tables.Single(t => t.Table == "books");

    [Fact]
    public async Task Changes_written_and_none_applied_are_behind_by_the_age_of_the_oldest()
    {
        await using var stack = await LagStack.CreateAsync(postgres, dynamo);
        for (var i = 1; i <= 4; i++) await stack.PutBookAsync($"book-{i}");
        var clock = new ManualClock(DateTimeOffset.UtcNow.AddMinutes(2));

        var report = await stack.Monitor(clock).RunAsync(CancellationToken.None);

        var books = Books(report);
        Assert.Equal(4, books.UnappliedChanges);
        Assert.Equal(0, books.LostChanges);
        Assert.True(books.SyncLag >= TimeSpan.FromMinutes(2), $"lag {books.SyncLag}");
        Assert.Equal(SyncLagMonitor.Retention - books.SyncLag, books.RetentionHeadroom);
        Assert.True(books.CaughtUp);
        Assert.False(report.Healthy);
        Assert.Contains(report.Problems, p => p.StartsWith("books: sync lag", StringComparison.Ordinal));
        // Tables with nothing written are not behind.
        Assert.All(report.Tables.Where(t => t.Table != "books"), t => Assert.Equal((TimeSpan.Zero, 0L), (t.SyncLag, t.UnappliedChanges)));
        // The metrics per table, with the names the template's alarms use.
        stack.Metrics.Flush();
        var emf = stack.Db.Output.ToString();
        Assert.Contains("\"UnappliedChanges\":4", emf, StringComparison.Ordinal);
        Assert.Contains("\"Table\":\"books\"", emf, StringComparison.Ordinal);
        Assert.Equal(4L, await stack.Db.ScalarAsync<long>("SELECT count(*) FROM cloudshelf_sync.lag_pending"));
    }

    [Fact]
    public async Task An_idle_stream_that_is_fully_applied_stays_at_zero_lag_however_long_nothing_is_written()
    {
        await using var stack = await LagStack.CreateAsync(postgres, dynamo);
        await stack.PutBookAsync("book-1");
        await stack.PutBookAsync("book-2");
        await stack.DeleteBookAsync("book-2");
        await stack.ApplyAsync(await stack.BookRecordsAsync());
        var clock = new ManualClock(DateTimeOffset.UtcNow);
        var monitor = stack.Monitor(clock);

        var first = await monitor.RunAsync(CancellationToken.None);
        clock.Advance(TimeSpan.FromMinutes(30));
        var later = await monitor.RunAsync(CancellationToken.None);

        Assert.Equal(3, Books(first).RecordsRead);
        foreach (var report in new[] { first, later })
        {
            Assert.True(report.Healthy, string.Join("; ", report.Problems));
            Assert.All(report.Tables, t => Assert.Equal((TimeSpan.Zero, SyncLagMonitor.Retention, 0L, 0L),
                (t.SyncLag, t.RetentionHeadroom, t.UnappliedChanges, t.LostChanges)));
        }
        // The second run read nothing new: its checkpoint had passed every record.
        Assert.Equal(0, Books(later).RecordsRead);
    }

    [Fact]
    public async Task Pending_changes_drain_once_stream_sync_applies_them()
    {
        await using var stack = await LagStack.CreateAsync(postgres, dynamo);
        for (var i = 1; i <= 3; i++) await stack.PutBookAsync($"book-{i}", price: $"{i}.50");
        await stack.PutBookAsync("book-1", price: "9.99");
        var clock = new ManualClock(DateTimeOffset.UtcNow.AddSeconds(45));
        var monitor = stack.Monitor(clock);

        var behind = await monitor.RunAsync(CancellationToken.None);
        await stack.ApplyAsync(await stack.BookRecordsAsync());
        var drained = await monitor.RunAsync(CancellationToken.None);

        Assert.Equal(4, Books(behind).UnappliedChanges);
        Assert.Equal((TimeSpan.Zero, 0L, 0L, 0), (Books(drained).SyncLag, Books(drained).UnappliedChanges, Books(drained).LostChanges, Books(drained).RecordsRead));
        Assert.True(drained.Healthy, string.Join("; ", drained.Problems));
        Assert.Equal(0L, await stack.Db.ScalarAsync<long>("SELECT count(*) FROM cloudshelf_sync.lag_pending"));
        await stack.AssertBooksEqualAsync();
    }

    [Fact]
    public async Task A_run_reads_at_most_its_budget_and_the_next_run_goes_on_from_its_checkpoint()
    {
        await using var stack = await LagStack.CreateAsync(postgres, dynamo);
        for (var i = 1; i <= 5; i++) await stack.PutBookAsync($"book-{i}");
        var monitor = stack.Monitor(new ManualClock(DateTimeOffset.UtcNow), stack.Settings.Lag with { MaxRecordsPerRun = 2 });

        var runs = new List<TableLag>();
        for (var i = 0; i < 3; i++) runs.Add(Books(await monitor.RunAsync(CancellationToken.None)));

        Assert.Equal([2, 2, 1], runs.Select(r => r.RecordsRead));
        Assert.Equal([false, false, true], runs.Select(r => r.CaughtUp));
        Assert.Equal([2L, 4L, 5L], runs.Select(r => r.UnappliedChanges));
    }

    [Fact]
    public async Task The_lag_command_prints_each_table_as_json_and_exits_1_while_behind_and_0_once_applied()
    {
        await using var stack = await LagStack.CreateAsync(postgres, dynamo);
        await stack.PutBookAsync("book-1");
        await stack.PutBookAsync("book-2");

        var behind = await RunLagAsync(stack);
        await stack.ApplyAsync(await stack.BookRecordsAsync());
        var applied = await RunLagAsync(stack);

        Assert.Equal((1, 0), (behind.ExitCode, applied.ExitCode));
        using var json = JsonDocument.Parse(behind.Out);
        var tables = json.RootElement.GetProperty("tables").EnumerateArray().ToDictionary(t => t.GetProperty("table").GetString()!);
        Assert.Equal(["books", "orders", "users"], tables.Keys.Order(StringComparer.Ordinal));
        var books = tables["books"];
        Assert.Equal(2, books.GetProperty("unappliedChanges").GetInt64());
        Assert.Equal(0, books.GetProperty("lostChanges").GetInt64());
        Assert.True(books.GetProperty("syncLagSeconds").GetDouble() >= 0);
        Assert.Equal(86400 - books.GetProperty("syncLagSeconds").GetDouble(), books.GetProperty("retentionHeadroomSeconds").GetDouble(), 3);
        Assert.Equal(0, tables["users"].GetProperty("syncLagSeconds").GetDouble());
        Assert.Contains("\"SyncLagSeconds\"", behind.Error, StringComparison.Ordinal);
    }

    private static async Task<(int ExitCode, string Out, string Error)> RunLagAsync(LagStack stack)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        using var input = new MemoryStream();
        using var inputReader = new StreamReader(input);
        // A threshold of 0 s: the records just written are behind however fast the test runs.
        var environment = new Dictionary<string, string>(stack.Environment) { [SyncSettings.LagThresholdVariable] = "0" };
        var code = await CliApplication.RunAsync(["lag", "--json"], new CliConsole(inputReader, input, output, error, false),
            new DictionaryEnvironment(environment), TimeProvider.System, CancellationToken.None);
        return (code, output.ToString(), error.ToString());
    }
}
