using System.CommandLine;
using CloudShelf.Sync.Hosting;
using CloudShelf.Sync.Observability;

namespace CloudShelf.Sync.Cli;

/// <summary>
/// <c>invoke &lt;function&gt; --event &lt;file|-&gt;</c>: the <c>sam local invoke</c> of this machine. Runs
/// the function's handler (the same <see cref="FunctionCatalog"/> as bootstrap) in-process against
/// the configured database; stdout carries only its JSON response.
/// </summary>
internal static class InvokeCommand
{
    public static Command Create(CliContext cli)
    {
        var function = new Argument<string>("function") { Description = "The function whose handler runs" };
        function.AcceptOnlyFromAmong([.. FunctionCatalog.Names]);
        var eventSource = new Option<string>("--event")
        {
            Description = "The event JSON: a file, or - for stdin (e.g. events/books-insert.json)",
            HelpName = "file|-",
            Required = true,
        };
        var command = new Command("invoke", "Run a function's handler in-process; only its JSON response goes to stdout") { function, eventSource };
        command.SetAction((parse, cancellationToken) =>
            RunAsync(cli, parse.GetRequiredValue(function), parse.GetRequiredValue(eventSource), cancellationToken));
        return command;
    }

    private static async Task<int> RunAsync(CliContext cli, string function, string source, CancellationToken cancellationToken)
    {
        var eventJson = await ReadEventAsync(source, cli.Console, cancellationToken);

        // The same start-up as bootstrap: the settings are checked for every function, the
        // database is migrated for those that use it.
        await using var services = await cli.StartAsync(function, cancellationToken);
        if (FunctionCatalog.NeedsServices(function)) await services.Migrator.MigrateAsync(cancellationToken);
        var handler = FunctionCatalog.Create(function, services);
        var context = new InvocationContext(Guid.NewGuid().ToString(), DateTimeOffset.MaxValue, null, null);
        try
        {
            var response = await handler.HandleAsync(eventJson, context, cancellationToken);
            await cli.Console.Out.WriteLineAsync(System.Text.Encoding.UTF8.GetString(response));
            return ExitCodes.Ok;
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            // In Lambda this is an invocation error: the whole batch is retried.
            services.Log.Error(e, "Handler failed");
            await cli.Console.Error.WriteLineAsync($"error: the {function} handler failed: {e.Message}");
            return ExitCodes.Problem;
        }
        finally
        {
            services.Metrics.Flush();
        }
    }

    private static async Task<byte[]> ReadEventAsync(string source, CliConsole console, CancellationToken cancellationToken)
    {
        if (source == "-")
        {
            using var buffer = new MemoryStream();
            await console.InStream.CopyToAsync(buffer, cancellationToken);
            return buffer.ToArray();
        }
        if (!File.Exists(source)) throw new UsageException($"--event: file '{source}' does not exist.");
        return await File.ReadAllBytesAsync(source, cancellationToken);
    }
}
