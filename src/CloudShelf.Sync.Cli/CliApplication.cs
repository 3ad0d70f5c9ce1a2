using CloudShelf.Sync.Configuration;
using CloudShelf.Sync.Hosting;
using CloudShelf.Sync.Observability;
using Npgsql;

namespace CloudShelf.Sync.Cli;

/// <summary>Dispatches a command line to its command and turns failures into exit statuses.</summary>
internal static class CliApplication
{
    public const string Usage = """
        usage: cloudshelf-sync <command> [options]

        commands:
          migrate                                  apply the PostgreSQL schema migrations
          invoke <function> --event <file|->       run a function's handler in-process; its JSON response on stdout
          quarantine list [--table T] [--all] [--limit N] [--json]
                                                   list quarantined records (open ones unless --all)
          quarantine replay (--id N ... | --all-open) [--json]
                                                   send quarantined records through the sync again
          quarantine import (--s3 s3://bucket/prefix | --dir PATH) [--json]
                                                   quarantine the batches of on-failure records (the mappings' destination)
          lag [--json]                             sync lag, retention headroom, unapplied and lost changes per table
          backfill [--tables T,...] [--segments N] [--parallel N] [--rate RCU/s] [--page-size N] [--restart] [--json]
                                                   load the items that predate the streams (resumes from checkpoints)
          stream run [--tables T,...] [--drain] [--batch-size N] [--batch-window S] [--parallelization N]
                     [--maximum-record-age S] [--maximum-retries N] [--starting-position TRIM_HORIZON|LATEST]
                     [--bootstrap PATH] [--on-failure-dir DIR] [--json]
                                                   the local event source mapping: stream records to stream-sync

        functions: stream-sync, backfill (events/backfill/segment.json), sync-lag; drift-detector is not available yet
        environment: CLOUDSHELF_PG_CONNECTION (required), CLOUDSHELF_DYNAMODB_ENDPOINT, CLOUDSHELF_DYNAMODB_STREAMS_ENDPOINT,
                     CLOUDSHELF_BOOKS_TABLE, CLOUDSHELF_USERS_TABLE, CLOUDSHELF_ORDERS_TABLE, POWERTOOLS_LOG_LEVEL
        exit status: 0 success, 1 the command found a problem, 2 it could not run
        """;

    public static async Task<int> RunAsync(
        IReadOnlyList<string> args, CliConsole console, IEnvironment environment, TimeProvider time, CancellationToken cancellationToken)
    {
        if (args.Count == 0 || args[0] is "-h" or "--help" or "help")
        {
            (args.Count == 0 ? console.Error : console.Out).WriteLine(Usage);
            return args.Count == 0 ? ExitCodes.CannotRun : ExitCodes.Ok;
        }

        try
        {
            return args[0] switch
            {
                "migrate" => await MigrateCommand.RunAsync(args.Skip(1), console, environment, time, cancellationToken),
                "invoke" => await InvokeCommand.RunAsync(args.Skip(1), console, environment, time, cancellationToken),
                "quarantine" => await QuarantineCommand.RunAsync(args.Skip(1), console, environment, time, cancellationToken),
                "backfill" => await BackfillCommand.RunAsync(args.Skip(1), console, environment, time, cancellationToken),
                "lag" => await LagCommand.RunAsync(args.Skip(1), console, environment, time, cancellationToken),
                "stream" => await StreamCommand.RunAsync(args.Skip(1), console, environment, time, cancellationToken),
                _ => throw new UsageException($"Unknown command '{args[0]}'."),
            };
        }
        catch (UsageException e)
        {
            console.Error.WriteLine($"error: {e.Message}");
            console.Error.WriteLine("Run 'cloudshelf-sync --help' for usage.");
            return ExitCodes.CannotRun;
        }
        catch (ConfigurationException e)
        {
            console.Error.WriteLine($"error: setting {e.Message}");
            return ExitCodes.CannotRun;
        }
        catch (Exception e) when (e is NpgsqlException or TimeoutException)
        {
            // Npgsql's messages name host and port, never the password.
            console.Error.WriteLine($"error: cannot reach PostgreSQL: {e.Message}");
            return ExitCodes.CannotRun;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            console.Error.WriteLine("cancelled");
            return ExitCodes.CannotRun;
        }
    }

    /// <summary>Settings, logs to stderr, metrics to stderr, services: what every command starts with.</summary>
    public static async Task<SyncServices> StartAsync(CliConsole console, IEnvironment environment, TimeProvider time, string functionName,
        CancellationToken cancellationToken)
    {
        var settings = SyncSettings.Load(environment);
        var context = new LogContext { Service = settings.ServiceName, FunctionName = functionName, ColdStart = true };
        var log = new JsonLogger(console.Error, context, time, settings.LogLevel);
        var metrics = new EmfMetrics(console.Error, settings.ServiceName, time);
        return await SyncServices.CreateAsync(settings, log, metrics, time, cancellationToken: cancellationToken);
    }
}

/// <summary><c>migrate</c>: applies what is missing; a second run is a no-op.</summary>
internal static class MigrateCommand
{
    public static async Task<int> RunAsync(IEnumerable<string> args, CliConsole console, IEnvironment environment, TimeProvider time, CancellationToken cancellationToken)
    {
        var parsed = CliArguments.Parse(args, new HashSet<string>(), new HashSet<string>());
        if (parsed.Positional.Count > 0) throw new UsageException($"migrate takes no arguments, got '{parsed.Positional[0]}'.");
        await using var services = await CliApplication.StartAsync(console, environment, time, "migrate", cancellationToken);
        var applied = await services.Migrator.MigrateAsync(cancellationToken);
        foreach (var migration in applied) console.Out.WriteLine($"applied {migration.Name}");
        var version = Postgres.SchemaMigrator.Embedded[^1].Version;
        console.Out.WriteLine(applied.Count == 0
            ? $"schema is up to date (version {version})"
            : $"schema migrated to version {version} ({applied.Count} migration(s) applied)");
        return ExitCodes.Ok;
    }
}
