using System.Globalization;
using Amazon.DynamoDBv2;
using System.Text.Json;
using CloudShelf.Sync.Cli.LocalMapping;
using CloudShelf.Sync.Configuration;
using CloudShelf.Sync.Hosting;
using CloudShelf.Sync.Mapping;
using CloudShelf.Sync.StreamReading;
using CloudShelf.Sync.StreamSync;

namespace CloudShelf.Sync.Cli;

/// <summary>
/// <c>stream run [--tables T,...] [--drain] [--batch-size N] [--batch-window S] [--parallelization N]
/// [--maximum-record-age S] [--maximum-retries N] [--starting-position TRIM_HORIZON|LATEST]
/// [--bootstrap PATH] [--on-failure-dir DIR] [--json]</c>: the local event source mapping.
/// </summary>
internal static class StreamCommand
{
    /// <summary>The settings a bootstrap started by <c>--bootstrap</c> receives from this process.</summary>
    private static readonly string[] PassedOn =
    [
        SyncSettings.PostgresConnectionVariable, SyncSettings.BooksTableVariable, SyncSettings.UsersTableVariable,
        SyncSettings.OrdersTableVariable, SyncSettings.DynamoDbEndpointVariable, SyncSettings.DynamoDbStreamsEndpointVariable,
        SyncSettings.RegionVariable, SyncSettings.ServiceNameVariable, SyncSettings.LogLevelVariable, SyncSettings.DbSecretIdVariable,
        SyncSettings.DbHostVariable, SyncSettings.DbNameVariable, SyncSettings.DbSecretSourceVariable, SyncSettings.DbRootCertificateVariable,
        "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN",
    ];

    public static async Task<int> RunAsync(IEnumerable<string> args, CliConsole console, IEnvironment environment, TimeProvider time,
        CancellationToken cancellationToken)
    {
        var parsed = CliArguments.Parse(args,
            new HashSet<string>
            {
                "--tables", "--batch-size", "--batch-window", "--parallelization", "--maximum-record-age", "--maximum-retries",
                "--starting-position", "--bootstrap", "--on-failure-dir",
            },
            new HashSet<string> { "--drain", "--json" });
        if (parsed.Positional is not ["run"])
            throw new UsageException("stream takes one subcommand: stream run [options].");

        var defaults = new LocalMappingOptions();
        var recordAge = Whole(parsed.Value("--maximum-record-age"), "--maximum-record-age", (int)defaults.MaximumRecordAge!.Value.TotalSeconds, -1, 604800);
        var options = defaults with
        {
            Drain = parsed.Flag("--drain"),
            BatchSize = Whole(parsed.Value("--batch-size"), "--batch-size", defaults.BatchSize, 1, 10000),
            BatchWindow = TimeSpan.FromSeconds(Whole(parsed.Value("--batch-window"), "--batch-window", (int)defaults.BatchWindow.TotalSeconds, 0, 300)),
            Parallelization = Whole(parsed.Value("--parallelization"), "--parallelization", defaults.Parallelization, 1, 10),
            MaximumRecordAge = recordAge == -1 ? null : TimeSpan.FromSeconds(recordAge == 0 ? throw new UsageException("--maximum-record-age must be -1 or 1 to 604800.") : recordAge),
            MaximumRetries = Whole(parsed.Value("--maximum-retries"), "--maximum-retries", defaults.MaximumRetries, -1, 10000),
            StartingPosition = parsed.Value("--starting-position") switch
            {
                null or "TRIM_HORIZON" => StreamPosition.TrimHorizon,
                "LATEST" => StreamPosition.Latest,
                var other => throw new UsageException($"--starting-position must be TRIM_HORIZON or LATEST, got '{other}'."),
            },
            BootstrapPath = parsed.Value("--bootstrap"),
            OnFailureDirectory = parsed.Value("--on-failure-dir") ?? defaults.OnFailureDirectory,
        };
        options.Validate();

        await using var services = await CliApplication.StartAsync(console, environment, time, "stream-run", cancellationToken);
        var tables = SelectTables(services.Mapping, parsed.Value("--tables"));
        await services.Migrator.MigrateAsync(cancellationToken);

        await using IBatchInvoker invoker = options.BootstrapPath is { } bootstrap
            ? new BootstrapInvoker(bootstrap, BootstrapInvoker.EnvironmentFrom(environment, PassedOn),
                Math.Min(tables.Count * options.Parallelization, 4), console.Error, time)
            : new InProcessInvoker(FunctionCatalog.Create(StreamSyncHandler.Name, services), time);
        var mapping = new LocalEventSourceMapping(options, services.DynamoDb, services.StreamReader,
            new ShardCheckpointStore(services.DataSource, ShardCheckpointStore.LocalMappingConsumer), invoker, services.Log, time);
        MappingSummary summary;
        try
        {
            summary = await mapping.RunAsync(tables, cancellationToken);
        }
        catch (Exception e) when (e is StreamsApiException or AmazonDynamoDBException)
        {
            console.Error.WriteLine($"error: cannot read the stream: {e.Message}");
            return ExitCodes.CannotRun;
        }
        finally
        {
            services.Metrics.Flush();
        }

        Report(console, options, summary, parsed.Flag("--json"));
        return summary.BatchesToOnFailure > 0 || summary.Gaps > 0 ? ExitCodes.Problem : ExitCodes.Ok;
    }

    private static void Report(CliConsole console, LocalMappingOptions options, MappingSummary summary, bool json)
    {
        if (json)
        {
            using var buffer = new MemoryStream();
            using (var writer = new Utf8JsonWriter(buffer))
            {
                writer.WriteStartObject();
                writer.WriteStartArray("streams");
                foreach (var s in summary.Streams)
                {
                    writer.WriteStartObject();
                    writer.WriteString("table", s.Table);
                    writer.WriteString("streamArn", s.StreamArn);
                    writer.WriteNumber("recordsRead", s.RecordsRead);
                    writer.WriteNumber("recordsDelivered", s.RecordsDelivered);
                    writer.WriteNumber("invocations", s.Invocations);
                    writer.WriteNumber("functionErrors", s.FunctionErrors);
                    writer.WriteNumber("partialFailures", s.PartialFailures);
                    writer.WriteNumber("bisections", s.Bisections);
                    writer.WriteNumber("batchesToOnFailure", s.BatchesToOnFailure);
                    writer.WriteNumber("recordsToOnFailure", s.RecordsToOnFailure);
                    writer.WriteNumber("gaps", s.Gaps);
                    writer.WriteNumber("shardsFinished", s.ShardsFinished);
                    writer.WriteEndObject();
                }
                writer.WriteEndArray();
                writer.WriteNumber("batchesToOnFailure", summary.BatchesToOnFailure);
                writer.WriteNumber("gaps", summary.Gaps);
                writer.WriteString("onFailureDirectory", Path.GetFullPath(options.OnFailureDirectory));
                writer.WriteEndObject();
            }
            console.Out.WriteLine(System.Text.Encoding.UTF8.GetString(buffer.ToArray()));
            return;
        }
        foreach (var s in summary.Streams)
            console.Out.WriteLine($"{s.Table}: {s.RecordsRead} records read, {s.RecordsDelivered} delivered in {s.Invocations} invocations, " +
                                  $"{s.RecordsToOnFailure} records in {s.BatchesToOnFailure} batches to the on-failure destination, {s.Gaps} gaps");
        if (summary.BatchesToOnFailure > 0)
            console.Out.WriteLine($"on-failure records: {Path.GetFullPath(options.OnFailureDirectory)}");
    }

    /// <summary>Synced tables by Phase 2 or DynamoDB name; any other name is read as a DynamoDB table (carts: stream-sync skips it).</summary>
    private static List<string> SelectTables(SyncMapping mapping, string? names)
    {
        if (string.IsNullOrWhiteSpace(names)) return mapping.Tables.Select(t => t.SourceTable).ToList();
        return names.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(n => (mapping.ForTable(n) ?? mapping.ForSourceTable(n))?.SourceTable ?? n)
            .Distinct(StringComparer.Ordinal)
            .ToList();
    }

    private static int Whole(string? text, string option, int fallback, int min, int max)
    {
        if (text is null) return fallback;
        return int.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var value) && value >= min && value <= max
            ? value
            : throw new UsageException($"{option} must be a whole number from {min} to {max}, got '{text}'.");
    }
}
