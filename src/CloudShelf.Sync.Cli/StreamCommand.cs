using System.CommandLine;
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
/// [--function-timeout S] [--bootstrap PATH] [--on-failure-dir DIR] [--json]</c>: the local event source mapping.
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

    private sealed record Arguments(LocalMappingOptions Options, string? Tables, bool Json);

    public static Command Create(CliContext cli)
    {
        var defaults = new LocalMappingOptions();
        var tables = new Option<string>("--tables") { Description = "Comma-separated tables (target or source names); default: every synced table", HelpName = "T,..." };
        var drain = new Option<bool>("--drain") { Description = "Exit once every shard is read to its end and nothing new came for 2 s" };
        var batchSize = CliOptions.WholeNumber("--batch-size", "BatchSize: records per invocation at most", 1, 10000, defaults.BatchSize);
        var batchWindow = CliOptions.WholeNumber("--batch-window", "MaximumBatchingWindowInSeconds", 0, 300, (int)defaults.BatchWindow.TotalSeconds);
        var parallelization = CliOptions.WholeNumber("--parallelization", "ParallelizationFactor: concurrent batches per shard", 1, 10, defaults.Parallelization);
        var recordAge = CliOptions.WholeNumber("--maximum-record-age", "MaximumRecordAgeInSeconds: -1 for no limit, else 1 to 604800", -1, 604800,
            (int)defaults.MaximumRecordAge!.Value.TotalSeconds);
        var retries = CliOptions.WholeNumber("--maximum-retries", "MaximumRetryAttempts: -1 retries until the record age runs out", -1, 10000, defaults.MaximumRetries);
        var position = new Option<string>("--starting-position") { Description = "Where shards without a checkpoint start", HelpName = "TRIM_HORIZON|LATEST" };
        position.AcceptOnlyFromAmong("TRIM_HORIZON", "LATEST");
        var functionTimeout = CliOptions.WholeNumber("--function-timeout",
            "The function Timeout: an invocation with no answer by then fails and is retried; Ctrl-C waits at most this long", 1, 900,
            (int)defaults.FunctionTimeout.TotalSeconds);
        var bootstrap = new Option<string>("--bootstrap") { Description = "Run the published bootstrap behind a local Runtime API instead of in-process", HelpName = "PATH" };
        var onFailure = new Option<string>("--on-failure-dir") { Description = $"The on-failure destination folder [default: {defaults.OnFailureDirectory}]", HelpName = "DIR" };
        var json = CliOptions.Json();

        var run = new Command("run", "The local event source mapping: stream records to stream-sync")
        {
            tables, drain, batchSize, batchWindow, parallelization, recordAge, retries, position, functionTimeout, bootstrap, onFailure, json,
        };
        run.SetAction((parse, cancellationToken) =>
        {
            var age = parse.GetValue(recordAge);
            if (age == 0) throw new UsageException("--maximum-record-age must be -1 or 1 to 604800, got '0'.");
            var options = defaults with
            {
                Drain = parse.GetValue(drain),
                BatchSize = parse.GetValue(batchSize),
                BatchWindow = TimeSpan.FromSeconds(parse.GetValue(batchWindow)),
                Parallelization = parse.GetValue(parallelization),
                MaximumRecordAge = age == -1 ? null : TimeSpan.FromSeconds(age),
                MaximumRetries = parse.GetValue(retries),
                StartingPosition = parse.GetValue(position) == "LATEST" ? StreamPosition.Latest : StreamPosition.TrimHorizon,
                FunctionTimeout = TimeSpan.FromSeconds(parse.GetValue(functionTimeout)),
                BootstrapPath = parse.GetValue(bootstrap),
                OnFailureDirectory = parse.GetValue(onFailure) ?? defaults.OnFailureDirectory,
            };
            return RunAsync(cli, new Arguments(options, parse.GetValue(tables), parse.GetValue(json)), cancellationToken);
        });
        return new Command("stream", "The local event source mapping") { run };
    }

    private static async Task<int> RunAsync(CliContext cli, Arguments args, CancellationToken cancellationToken)
    {
        var options = args.Options;
        options.Validate();
        var console = cli.Console;
        var environment = cli.Environment;
        var time = cli.Time;

        await using var services = await cli.StartAsync("stream-run", cancellationToken);
        var tables = SelectTables(services.Mapping, args.Tables);
        await services.Migrator.MigrateAsync(cancellationToken);

        await using IBatchInvoker invoker = options.BootstrapPath is { } bootstrap
            ? new BootstrapInvoker(bootstrap, BootstrapInvoker.EnvironmentFrom(environment, PassedOn),
                Math.Min(tables.Count * options.Parallelization, 4), console.Error, time, options.FunctionTimeout)
            : new InProcessInvoker(FunctionCatalog.Create(StreamSyncHandler.Name, services), time, options.FunctionTimeout);
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

        Report(console, options, summary, args.Json);
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
}
