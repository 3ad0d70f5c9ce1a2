using System.CommandLine;
using System.CommandLine.Help;
using System.CommandLine.Parsing;
using CloudShelf.Sync.Configuration;
using Npgsql;
using Spectre.Console;

namespace CloudShelf.Sync.Cli;

/// <summary>The command tree, and the one place where failures become exit statuses.</summary>
internal static class CliApplication
{
    private const string HelpFooter = """
        Environment:
          CLOUDSHELF_PG_CONNECTION (required), CLOUDSHELF_DYNAMODB_ENDPOINT, CLOUDSHELF_DYNAMODB_STREAMS_ENDPOINT,
          CLOUDSHELF_BOOKS_TABLE, CLOUDSHELF_USERS_TABLE, CLOUDSHELF_ORDERS_TABLE, POWERTOOLS_LOG_LEVEL; NO_COLOR turns colour off.

        Exit status:
          0 success, 1 the command found a problem, 2 it could not run (bad arguments, settings or database).
        """;

    /// <summary>Every command, one line each: a new command is its own file plus a line here.</summary>
    public static RootCommand CreateRootCommand(CliContext cli)
    {
        var root = new RootCommand("Operator CLI for CloudShelf.Sync: runs the functions' code from a laptop, CI or a bastion.")
        {
            MigrateCommand.Create(cli),
            InvokeCommand.Create(cli),
            QuarantineCommand.Create(cli),
            BackfillCommand.Create(cli),
            StreamCommand.Create(cli),
            DriftCommand.Create(cli),
            LagCommand.Create(cli),
            CutoverCheckCommand.Create(cli),
        };
        var help = root.Options.OfType<HelpOption>().Single();
        help.Action = new HelpWithFooterAction((HelpAction)help.Action!, HelpFooter);
        return root;
    }

    public static async Task<int> RunAsync(
        IReadOnlyList<string> args, CliConsole console, IEnvironment environment, TimeProvider time, CancellationToken cancellationToken)
    {
        var cli = new CliContext(console, environment, time);
        var parsed = CreateRootCommand(cli).Parse(args);
        if (parsed.Errors.Count > 0)
        {
            // System.CommandLine would exit 1 on a parse error; this CLI keeps 1 for "found a problem".
            foreach (var error in parsed.Errors) WriteError(cli, error.Message);
            var path = string.Join(' ', CommandPath(parsed.CommandResult));
            console.Error.WriteLine($"Run '{path} --help' for usage.");
            return ExitCodes.CannotRun;
        }

        try
        {
            return await parsed.InvokeAsync(new InvocationConfiguration
            {
                Output = console.Out,
                Error = console.Error,
                // Failures are mapped to exit statuses below, not printed as stack traces.
                EnableDefaultExceptionHandler = false,
                // Program owns Ctrl-C: it cancels the token, and the commands stop at their next await.
                ProcessTerminationTimeout = null,
            }, cancellationToken);
        }
        catch (UsageException e)
        {
            WriteError(cli, e.Message);
            console.Error.WriteLine("Run 'cloudshelf-sync --help' for usage.");
            return ExitCodes.CannotRun;
        }
        catch (ConfigurationException e)
        {
            WriteError(cli, $"setting {e.Message}");
            return ExitCodes.CannotRun;
        }
        catch (Postgres.SchemaMismatchException e)
        {
            // Names both schema versions; in CI this stops the deploy before `sam deploy`.
            WriteError(cli, e.Message);
            return ExitCodes.CannotRun;
        }
        catch (Exception e) when (e is NpgsqlException or TimeoutException)
        {
            // Npgsql's messages name host and port, never the password.
            WriteError(cli, $"cannot reach PostgreSQL: {e.Message}");
            return ExitCodes.CannotRun;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            console.Error.WriteLine("cancelled");
            return ExitCodes.CannotRun;
        }
    }

    private static void WriteError(CliContext cli, string message) =>
        cli.Error.MarkupLineInterpolated($"[red]error:[/] {message}");

    /// <summary><c>cloudshelf-sync quarantine replay</c>: the words that lead to the command that failed to parse.</summary>
    private static IEnumerable<string> CommandPath(CommandResult result)
    {
        var names = new Stack<string>();
        for (SymbolResult? r = result; r is not null; r = r.Parent)
            if (r is CommandResult c) names.Push(c.Parent is null ? "cloudshelf-sync" : c.Command.Name);
        return names;
    }
}
