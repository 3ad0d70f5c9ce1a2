using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using CloudShelf.Sync.Configuration;
using CloudShelf.Sync.IntegrationTests.Infrastructure;
using CloudShelf.Sync.Postgres;
using CloudShelf.Sync.Streams;
using CloudShelf.Sync.Testing;

namespace CloudShelf.Sync.IntegrationTests.Functions;

/// <summary>The published Native AOT bootstrap, run as Lambda runs it, against a fake Runtime API.</summary>
[Collection(SyncServerCollection.Name)]
public sealed partial class BootstrapTests(SyncServerFixture fixture)
{
    private static string EventFile(string name) => Path.Combine(AppContext.BaseDirectory, "events", name);

    private static Dictionary<string, string> LambdaEnvironment(FakeRuntimeApi api, string handler, string? connection)
    {
        var environment = new Dictionary<string, string>
        {
            ["AWS_LAMBDA_RUNTIME_API"] = api.HostAndPort,
            ["_HANDLER"] = handler,
            ["AWS_LAMBDA_FUNCTION_NAME"] = "cloudshelf-sync-test-" + handler,
            ["AWS_REGION"] = "eu-west-1",
            [SyncSettings.ServiceNameVariable] = "cloudshelf-sync",
        };
        if (connection is not null) environment[SyncSettings.PostgresConnectionVariable] = connection;
        return environment;
    }

    [Fact]
    public async Task The_bootstrap_needs_no_glibc_newer_than_Amazon_Linux_2023s_2_34()
    {
        var path = await PublishedBootstrap.PathAsync();
        using var objdump = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo("objdump", ["-T", path])
        {
            RedirectStandardOutput = true,
        })!;
        var symbols = await objdump.StandardOutput.ReadToEndAsync();
        await objdump.WaitForExitAsync();

        var versions = GlibcVersion().Matches(symbols).Select(m => Version.Parse(m.Groups[1].Value)).ToList();
        Assert.NotEmpty(versions);
        var newest = versions.Max()!;
        Assert.True(newest <= new Version(2, 34), $"bootstrap needs GLIBC_{newest}; Amazon Linux 2023 has 2.34");
    }

    [GeneratedRegex(@"GLIBC_(\d+\.\d+(?:\.\d+)?)")]
    private static partial Regex GlibcVersion();

    [Fact]
    public async Task The_published_bootstrap_serves_stream_events_and_writes_rows_to_PostgreSQL()
    {
        var path = await PublishedBootstrap.PathAsync();
        var connection = await fixture.Server.CreateDatabaseAsync(fixture.TemplateName);
        await using var api = FakeRuntimeApi.Start();
        await using var bootstrap = BootstrapProcess.Start(path, LambdaEnvironment(api, "stream-sync", connection));

        var mixed = await api.InvokeAsync(await File.ReadAllBytesAsync(EventFile("mixed-batch.json")), traceId: "Root=1-6759e988-aaaa;Sampled=1");
        var broken = await api.InvokeAsync("{\"Records\": 42}"u8.ToArray());
        var orders = await api.InvokeAsync(await File.ReadAllBytesAsync(EventFile("orders-insert.json")));

        Assert.Equal(("response", "{\"batchItemFailures\":[]}"), (mixed.Kind, mixed.Body));
        Assert.Equal("error", broken.Kind);
        Assert.Equal(("response", "{\"batchItemFailures\":[]}"), (orders.Kind, orders.Body));
        await using (var services = SyncDatabase.CreateServices(connection, TextWriter.Null))
        {
            await using var count = services.DataSource.CreateCommand(
                "SELECT (SELECT count(*) FROM cloudshelf.books) * 100 + (SELECT count(*) FROM cloudshelf.users) * 10 + (SELECT count(*) FROM cloudshelf.orders)");
            Assert.Equal(112L, await count.ExecuteScalarAsync());
        }
        // Logs are JSON lines on stdout carrying the trace id; metrics are EMF documents.
        var lines = bootstrap.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.All(lines, l => JsonDocument.Parse(l).Dispose());
        Assert.Contains(lines, l => l.Contains("\"xray_trace_id\":\"Root=1-6759e988-aaaa;Sampled=1\"", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.Contains("\"Namespace\":\"CloudShelf/Sync\"", StringComparison.Ordinal));
    }

    [Fact]
    public async Task The_published_bootstrap_stores_an_item_dated_year_1_as_that_date_not_as_minus_infinity()
    {
        // Without Npgsql.DisableDateTimeInfinityConversions, DateTime.MinValue is written as -infinity.
        var path = await PublishedBootstrap.PathAsync();
        var connection = await fixture.Server.CreateDatabaseAsync(fixture.TemplateName);
        var book = Items.Book("book-1");
        book["createdAt"] = Items.S("0001-01-01T00:00:00.000Z");
        var batch = JsonSerializer.SerializeToUtf8Bytes(StreamEvents.Event(StreamEvents.Insert(StreamEvents.Books, "10", book)), StreamJsonContext.Default.DynamoDBEvent);
        await using var api = FakeRuntimeApi.Start();
        await using var bootstrap = BootstrapProcess.Start(path, LambdaEnvironment(api, "stream-sync", connection));

        var outcome = await api.InvokeAsync(batch);

        Assert.Equal(("response", "{\"batchItemFailures\":[]}"), (outcome.Kind, outcome.Body));
        await using var services = SyncDatabase.CreateServices(connection, TextWriter.Null);
        await using var command = services.DataSource.CreateCommand("SELECT isfinite(created_at) FROM cloudshelf.books");
        Assert.Equal(true, await command.ExecuteScalarAsync());
    }

    [Fact]
    public async Task An_unknown_handler_is_reported_as_an_init_error()
    {
        var path = await PublishedBootstrap.PathAsync();
        await using var api = FakeRuntimeApi.Start();
        await using var bootstrap = BootstrapProcess.Start(path, LambdaEnvironment(api, "stream-sink", null));

        var error = await api.InitError.WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal("Runtime.UnknownHandler", error.ErrorType);
        Assert.Contains("stream-sink", error.Body, StringComparison.Ordinal);
        Assert.NotEqual(0, await bootstrap.WaitForExitAsync(TimeSpan.FromSeconds(10)));
    }

    [Fact]
    public async Task A_missing_database_setting_is_an_init_error_naming_it()
    {
        var path = await PublishedBootstrap.PathAsync();
        await using var api = FakeRuntimeApi.Start();
        await using var bootstrap = BootstrapProcess.Start(path, LambdaEnvironment(api, "stream-sync", null));

        var error = await api.InitError.WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal("ConfigurationException", error.ErrorType);
        Assert.Contains(SyncSettings.DbSecretIdVariable, error.Body, StringComparison.Ordinal);
    }

    // ---------------------------------------------------------------------------------------------
    // Deploy safety: the bootstrap applies no migrations; it checks the schema and refuses the ones
    // it must not run against, with an init error that names both versions.
    // ---------------------------------------------------------------------------------------------

    private static int BuildVersion => SchemaMigrator.Embedded[^1].Version;

    /// <summary>A migration one past this build's, as the next release would ship it.</summary>
    private static Migration NextMigration(string header, string sql) =>
        new(BuildVersion + 1, $"{BuildVersion + 1:0000}_next_release.sql", header + sql);

    private async Task<string> DatabaseWithAsync(params Migration[] extra)
    {
        var connection = await fixture.Server.CreateDatabaseAsync(fixture.TemplateName);
        await using var services = SyncDatabase.CreateServices(connection, TextWriter.Null);
        await new SchemaMigrator(services.DataSource, [.. SchemaMigrator.Embedded, .. extra]).MigrateAsync();
        return connection;
    }

    private static async Task<string> SyncedRowsAsync(string connection)
    {
        // Every synced row but the write time and the next release's column: the content the sync is responsible for.
        await using var services = SyncDatabase.CreateServices(connection, TextWriter.Null);
        await using var command = services.DataSource.CreateCommand("""
            SELECT coalesce(string_agg(line, E'\n' ORDER BY line), '') FROM (
              SELECT 'books ' || (to_jsonb(t) - 'synced_at' - 'subtitle')::text AS line FROM cloudshelf.books t
              UNION ALL SELECT 'users ' || (to_jsonb(t) - 'synced_at')::text FROM cloudshelf.users t
              UNION ALL SELECT 'orders ' || (to_jsonb(t) - 'synced_at')::text FROM cloudshelf.orders t
              UNION ALL SELECT 'order_items ' || to_jsonb(t)::text FROM cloudshelf.order_items t
              UNION ALL SELECT 'tombstones ' || (to_jsonb(t) - 'deleted_at')::text FROM cloudshelf_sync.tombstones t
              UNION ALL SELECT 'quarantine ' || (to_jsonb(t) - 'quarantined_at' - 'quarantine_id')::text FROM cloudshelf_sync.quarantine t
            ) s
            """);
        return (string)(await command.ExecuteScalarAsync())!;
    }

    [Fact]
    public async Task A_build_started_against_a_schema_one_compatible_migration_ahead_still_syncs()
    {
        var path = await PublishedBootstrap.PathAsync();
        // An expand step, as the next release might add it: no marker, so every older build tolerates it.
        var ahead = await DatabaseWithAsync(NextMigration("", "ALTER TABLE cloudshelf.books ADD COLUMN subtitle text;\n"));
        var reference = await fixture.Server.CreateDatabaseAsync(fixture.TemplateName);
        var batch = await File.ReadAllBytesAsync(EventFile("mixed-batch.json"));
        await using var api = FakeRuntimeApi.Start();
        await using var bootstrap = BootstrapProcess.Start(path, LambdaEnvironment(api, "stream-sync", ahead));

        var outcome = await api.InvokeAsync(batch);
        await using (var services = SyncDatabase.CreateServices(reference, TextWriter.Null))
            await services.StreamSync.HandleAsync(batch, CancellationToken.None);

        Assert.Equal(("response", "{\"batchItemFailures\":[]}"), (outcome.Kind, outcome.Body));
        var rows = await SyncedRowsAsync(ahead);
        Assert.NotEqual("", rows);
        Assert.Equal(await SyncedRowsAsync(reference), rows);
        Assert.Contains($"\"schema_version\":{BuildVersion + 1}", bootstrap.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_build_started_against_an_incompatible_newer_schema_is_refused_with_an_init_error_naming_both_versions()
    {
        var path = await PublishedBootstrap.PathAsync();
        // A contract step: it drops what this build still writes, so only builds that know it may run.
        var ahead = await DatabaseWithAsync(NextMigration(
            $"{Migration.CompatibilityMarker} {BuildVersion + 1}\n", "ALTER TABLE cloudshelf.books DROP COLUMN description;\n"));
        await using var api = FakeRuntimeApi.Start();
        await using var bootstrap = BootstrapProcess.Start(path, LambdaEnvironment(api, "stream-sync", ahead));

        var error = await api.InitError.WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal(nameof(SchemaMismatchException), error.ErrorType);
        Assert.Contains($"schema is at version {BuildVersion + 1}", error.Body, StringComparison.Ordinal);
        Assert.Contains($"this build is at version {BuildVersion}", error.Body, StringComparison.Ordinal);
        Assert.Contains("incompatible", error.Body, StringComparison.Ordinal);
        Assert.NotEqual(0, await bootstrap.WaitForExitAsync(TimeSpan.FromSeconds(10)));
    }

    [Fact]
    public async Task A_build_started_against_a_schema_missing_its_migrations_is_refused_and_migrates_nothing()
    {
        var path = await PublishedBootstrap.PathAsync();
        var behind = await fixture.Server.CreateDatabaseAsync();
        await using (var services = SyncDatabase.CreateServices(behind, TextWriter.Null))
            await new SchemaMigrator(services.DataSource, [SchemaMigrator.Embedded[0]]).MigrateAsync();
        await using var api = FakeRuntimeApi.Start();
        await using var bootstrap = BootstrapProcess.Start(path, LambdaEnvironment(api, "stream-sync", behind));

        var error = await api.InitError.WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal(nameof(SchemaMismatchException), error.ErrorType);
        Assert.Contains($"schema is at version {SchemaMigrator.Embedded[0].Version}", error.Body, StringComparison.Ordinal);
        Assert.Contains($"this build is at version {BuildVersion}", error.Body, StringComparison.Ordinal);
        Assert.Contains(SchemaMigrator.Embedded[^1].Name, error.Body, StringComparison.Ordinal);
        await using (var services = SyncDatabase.CreateServices(behind, TextWriter.Null))
            Assert.Equal(SchemaStatus.TooOld, (await services.Migrator.CheckAsync()).Status);
    }
}
