using System.Text;
using System.Text.Json;
using CloudShelf.Sync.Cli;
using CloudShelf.Sync.Configuration;
using CloudShelf.Sync.IntegrationTests.Infrastructure;
using CloudShelf.Sync.Postgres;

namespace CloudShelf.Sync.IntegrationTests.Cli;

[Collection(SyncServerCollection.Name)]
public sealed class CliTests(SyncServerFixture fixture)
{
    private sealed record Run(int ExitCode, string Out, string Error);

    private static Task<Run> RunAsync(string? connection, string stdin, params string[] args) =>
        RunAsync(connection, stdin, terminal: false, new Dictionary<string, string>(), args);

    /// <summary><paramref name="terminal"/>: whether the CLI is told that stdout and stderr are terminals.</summary>
    private static async Task<Run> RunAsync(string? connection, string stdin, bool terminal, Dictionary<string, string> environment, params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        using var input = new MemoryStream(Encoding.UTF8.GetBytes(stdin));
        using var inputReader = new StreamReader(input);
        if (connection is not null) environment[SyncSettings.PostgresConnectionVariable] = connection;
        var console = new CliConsole(inputReader, input, output, error, terminal) { OutIsTerminal = terminal };
        var code = await CliApplication.RunAsync(args, console, new DictionaryEnvironment(environment), TimeProvider.System, CancellationToken.None);
        return new Run(code, output.ToString(), error.ToString());
    }

    private static string EventFile(string name) => Path.Combine(AppContext.BaseDirectory, "events", name);

    // Migrated, as a deployed stage is: only `migrate` applies migrations.
    private async Task<string> FreshDatabaseAsync() => await fixture.Server.CreateDatabaseAsync(fixture.TemplateName);

    [Fact]
    public async Task Invoke_prints_only_the_handler_response_on_stdout()
    {
        var connection = await FreshDatabaseAsync();

        var run = await RunAsync(connection, "", "invoke", "stream-sync", "--event", EventFile("books-insert.json"));

        Assert.Equal(0, run.ExitCode);
        Assert.Equal("{\"batchItemFailures\":[]}" + Environment.NewLine, run.Out);
        // Logs and metrics go to stderr, one JSON object per line.
        var lines = run.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.All(lines, l => JsonDocument.Parse(l).Dispose());
        Assert.Contains(lines, l => l.Contains("\"RecordsApplied\":2", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Invoke_reads_the_event_from_stdin_with_a_dash()
    {
        var connection = await FreshDatabaseAsync();

        var run = await RunAsync(connection, await File.ReadAllTextAsync(EventFile("users-insert.json")), "invoke", "stream-sync", "--event", "-");

        Assert.Equal((0, "{\"batchItemFailures\":[]}"), (run.ExitCode, run.Out.Trim()));
    }

    [Fact]
    public async Task Invoke_exits_non_zero_when_the_handler_throws()
    {
        var connection = await FreshDatabaseAsync();

        var run = await RunAsync(connection, "{\"Records\": 42}", "invoke", "stream-sync", "--event", "-");

        Assert.Equal(1, run.ExitCode);
        Assert.Equal("", run.Out);
        Assert.Contains("handler failed", run.Error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("invoke", "backfill-everything", "--event", "-")]
    [InlineData("invoke", "stream-sync")]
    [InlineData("frobnicate")]
    [InlineData("quarantine", "replay")]
    [InlineData("quarantine", "list", "--bogus")]
    public async Task Bad_arguments_exit_2_with_a_message(params string[] args)
    {
        var run = await RunAsync("Host=127.0.0.1", "", args);

        Assert.Equal(2, run.ExitCode);
        Assert.StartsWith("error: ", run.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_missing_connection_setting_exits_2_naming_it()
    {
        var run = await RunAsync(null, "", "migrate");

        Assert.Equal(2, run.ExitCode);
        Assert.Contains(SyncSettings.PostgresConnectionVariable, run.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_unreachable_database_exits_2()
    {
        var port = Testing.FreeTcpPort.Next();

        var run = await RunAsync($"Host=127.0.0.1;Port={port};Username=postgres;Password=hunter2;Timeout=3", "", "migrate");

        Assert.Equal(2, run.ExitCode);
        Assert.Contains("cannot reach PostgreSQL", run.Error, StringComparison.Ordinal);
        Assert.DoesNotContain("hunter2", run.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Migrate_twice_reports_the_second_run_as_up_to_date()
    {
        var connection = await fixture.Server.CreateDatabaseAsync();

        var first = await RunAsync(connection, "", "migrate");
        var second = await RunAsync(connection, "", "migrate");

        Assert.Equal((0, 0), (first.ExitCode, second.ExitCode));
        Assert.Contains("applied 0001_initial_schema.sql", first.Out, StringComparison.Ordinal);
        Assert.Contains("schema is up to date", second.Out, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Migrate_refuses_a_schema_past_a_newer_builds_contract_migration_with_exit_2_naming_both_versions()
    {
        var connection = await FreshDatabaseAsync();
        var build = SchemaMigrator.Embedded[^1].Version;
        var contract = new Migration(build + 1, $"{build + 1:0000}_contract.sql",
            $"{Migration.CompatibilityMarker} {build + 1}\nALTER TABLE cloudshelf.books DROP COLUMN description;\n");
        await using (var services = SyncDatabase.CreateServices(connection, TextWriter.Null))
            await new SchemaMigrator(services.DataSource, [.. SchemaMigrator.Embedded, contract]).MigrateAsync();

        var run = await RunAsync(connection, "", "migrate");

        Assert.Equal((2, ""), (run.ExitCode, run.Out));
        Assert.Contains($"schema is at version {build + 1}, this build is at version {build}", run.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Invoke_refuses_a_database_that_was_never_migrated_and_migrates_nothing()
    {
        var connection = await fixture.Server.CreateDatabaseAsync();

        var run = await RunAsync(connection, "", "invoke", "stream-sync", "--event", EventFile("books-insert.json"));

        Assert.Equal((2, ""), (run.ExitCode, run.Out));
        Assert.Contains("schema is too old", run.Error, StringComparison.Ordinal);
        await using var services = SyncDatabase.CreateServices(connection, TextWriter.Null);
        Assert.Equal(SchemaStatus.TooOld, (await services.Migrator.CheckAsync()).Status);
    }

    [Fact]
    public async Task Quarantine_list_and_replay_work_from_the_command_line()
    {
        var connection = await FreshDatabaseAsync();
        await RunAsync(connection, "", "invoke", "stream-sync", "--event", EventFile("duplicate-email-users-insert.json"));

        var text = await RunAsync(connection, "", "quarantine", "list");
        var json = await RunAsync(connection, "", "quarantine", "list", "--json");

        Assert.Equal((0, 0), (text.ExitCode, json.ExitCode));
        Assert.Contains("users_email_key", text.Out, StringComparison.Ordinal);
        Assert.Contains("1 record(s)", text.Out, StringComparison.Ordinal);
        using var listed = JsonDocument.Parse(json.Out);
        var entry = Assert.Single(listed.RootElement.EnumerateArray().ToList());
        Assert.Equal("23505", entry.GetProperty("errorCode").GetString());
        Assert.Equal("INSERT", entry.GetProperty("record").GetProperty("eventName").GetString());
        var id = entry.GetProperty("id").GetInt64().ToString(System.Globalization.CultureInfo.InvariantCulture);

        // Nothing changed yet: the replay finds the same conflict and says so with exit 1.
        var again = await RunAsync(connection, "", "quarantine", "replay", "--id", id, "--json");
        Assert.Equal(1, again.ExitCode);
        using (var summary = JsonDocument.Parse(again.Out))
            Assert.Equal(1, summary.RootElement.GetProperty("stillQuarantined").GetInt32());

        // user-a1f3c5e7, the first holder of the address, is deleted upstream: the entry waiting for
        // its address is tried again at once, so nothing is left for the operator to replay.
        var removeEvent = $$$"""
            {"Records":[{"eventID":"x","eventName":"REMOVE","eventSourceARN":"{{{Testing.StreamEvents.Arn(Testing.StreamEvents.Users)}}}",
              "dynamodb":{"Keys":{"userId":{"S":"user-a1f3c5e7"}},"SequenceNumber":"61934000000000027766100099"}}]}
            """;
        Assert.Equal(0, (await RunAsync(connection, removeEvent, "invoke", "stream-sync", "--event", "-")).ExitCode);
        var replay = await RunAsync(connection, "", "quarantine", "replay", "--all-open");

        Assert.Equal(0, replay.ExitCode);
        Assert.Contains("replayed 0", replay.Out, StringComparison.Ordinal);
        Assert.Contains("no quarantined records", (await RunAsync(connection, "", "quarantine", "list")).Out, StringComparison.Ordinal);
        var resolved = await RunAsync(connection, "", "quarantine", "list", "--all", "--json");
        using var all = JsonDocument.Parse(resolved.Out);
        Assert.Equal("applied", Assert.Single(all.RootElement.EnumerateArray().ToList()).GetProperty("resolution").GetString());
    }

    [Fact]
    public async Task Help_lists_every_command_and_subcommand()
    {
        var root = CliApplication.CreateRootCommand(new CliContext(
            new CliConsole(TextReader.Null, Stream.Null, TextWriter.Null, TextWriter.Null, false), new DictionaryEnvironment(new Dictionary<string, string>()), TimeProvider.System));
        var parents = new Stack<(string[] Path, System.CommandLine.Command Command)>([([], root)]);
        var listed = 0;

        while (parents.TryPop(out var parent))
        {
            if (parent.Command.Subcommands.Count == 0) continue;
            var help = await RunAsync(null, "", [.. parent.Path, "--help"]);
            Assert.Equal(0, help.ExitCode);
            foreach (var child in parent.Command.Subcommands)
            {
                Assert.Matches($@"(?m)^  {child.Name}\b", help.Out);
                parents.Push(([.. parent.Path, child.Name], child));
                listed++;
            }
        }

        // migrate, invoke, quarantine (list, replay), backfill at least; a new command is checked without editing this test.
        Assert.True(listed >= 6, $"only {listed} commands listed");
    }

    [Theory]
    [InlineData("--segmnets", "backfill", "--segmnets", "4")]
    [InlineData("--bogus", "quarantine", "list", "--bogus")]
    [InlineData("--events", "invoke", "stream-sync", "--events", "-")]
    public async Task An_unknown_option_exits_2_naming_it(string option, params string[] args)
    {
        var run = await RunAsync("Host=127.0.0.1", "", args);

        Assert.Equal((2, ""), (run.ExitCode, run.Out));
        Assert.Contains($"'{option}'", run.Error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--event", "invoke", "stream-sync", "--event")]
    [InlineData("--event", "invoke", "stream-sync")]
    [InlineData("--segments", "backfill", "--segments")]
    [InlineData("--limit", "quarantine", "list", "--limit")]
    [InlineData("--id", "quarantine", "replay", "--id")]
    public async Task A_missing_required_value_exits_2_naming_the_option(string option, params string[] args)
    {
        var run = await RunAsync("Host=127.0.0.1", "", args);

        Assert.Equal((2, ""), (run.ExitCode, run.Out));
        Assert.Contains($"'{option}'", run.Error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--segments", "backfill", "--segments", "0")]
    [InlineData("--page-size", "backfill", "--page-size", "-3")]
    [InlineData("--parallel", "backfill", "--parallel", "x")]
    [InlineData("--rate", "backfill", "--rate", "-5")]
    [InlineData("--limit", "quarantine", "list", "--limit", "0")]
    [InlineData("--id", "quarantine", "replay", "--id", "7,x")]
    public async Task A_malformed_value_exits_2_naming_the_option(string option, params string[] args)
    {
        var run = await RunAsync("Host=127.0.0.1", "", args);

        Assert.Equal((2, ""), (run.ExitCode, run.Out));
        Assert.StartsWith($"error: {option} must be", run.Error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(false, null)]
    [InlineData(true, "1")]
    public async Task Output_has_no_ANSI_escapes_when_redirected_or_with_NO_COLOR(bool terminal, string? noColor)
    {
        var connection = await FreshDatabaseAsync();
        await RunAsync(connection, "", "invoke", "stream-sync", "--event", EventFile("duplicate-email-users-insert.json"));
        Dictionary<string, string> Environment() => noColor is null ? [] : new() { ["NO_COLOR"] = noColor };

        var runs = new[]
        {
            await RunAsync(connection, "", terminal, Environment(), "quarantine", "list"),
            await RunAsync(connection, "", terminal, Environment(), "--help"),
            await RunAsync(connection, "", terminal, Environment(), "backfill", "--segments", "0"),
        };

        Assert.Contains("1 record(s)", runs[0].Out, StringComparison.Ordinal);
        Assert.All(runs, r => Assert.DoesNotContain('\u001b', r.Out + r.Error));
    }

    [Fact]
    public async Task A_terminal_gets_colour()
    {
        var connection = await FreshDatabaseAsync();
        await RunAsync(connection, "", "invoke", "stream-sync", "--event", EventFile("duplicate-email-users-insert.json"));

        var list = await RunAsync(connection, "", terminal: true, [], "quarantine", "list");
        var error = await RunAsync(connection, "", terminal: true, [], "backfill", "--segments", "0");

        Assert.Equal((0, 2), (list.ExitCode, error.ExitCode));
        Assert.Contains('\u001b', list.Out);
        Assert.Contains('\u001b', error.Error);
    }
}
