using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using CloudShelf.Sync.Configuration;
using CloudShelf.Sync.IntegrationTests.Infrastructure;
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
        var connection = await fixture.Server.CreateDatabaseAsync();
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

    [Fact]
    public async Task A_function_of_a_later_release_starts_and_answers_each_invocation_with_a_clear_error()
    {
        var path = await PublishedBootstrap.PathAsync();
        await using var api = FakeRuntimeApi.Start();
        await using var bootstrap = BootstrapProcess.Start(path, LambdaEnvironment(api, "drift-detector", null));

        var outcome = await api.InvokeAsync("{}"u8.ToArray());

        Assert.Equal(("error", "Function.NotAvailable"), (outcome.Kind, outcome.ErrorType));
        Assert.False(bootstrap.HasExited);
    }
}
