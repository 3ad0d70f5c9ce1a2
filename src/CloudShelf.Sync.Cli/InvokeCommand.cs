using CloudShelf.Sync.Configuration;
using CloudShelf.Sync.Observability;
using CloudShelf.Sync.Sync;

namespace CloudShelf.Sync.Cli;

/// <summary>
/// <c>invoke &lt;function&gt; --event &lt;file|-&gt;</c>: the <c>sam local invoke</c> of this machine. Runs
/// the handler in-process against the configured database; stdout carries only its JSON response.
/// </summary>
internal static class InvokeCommand
{
    public static async Task<int> RunAsync(IEnumerable<string> args, CliConsole console, IEnvironment environment, TimeProvider time, CancellationToken cancellationToken)
    {
        var parsed = CliArguments.Parse(args, new HashSet<string> { "--event" }, new HashSet<string>());
        if (parsed.Positional.Count != 1) throw new UsageException("invoke needs exactly one function name, e.g. invoke stream-sync --event events/books-insert.json.");
        var function = parsed.Positional[0];
        if (function != StreamSyncHandler.Name)
            throw new UsageException($"Unknown function '{function}'; this build can invoke: {StreamSyncHandler.Name}.");
        var source = parsed.Value("--event") ?? throw new UsageException("invoke needs --event <file|->.");
        var eventJson = await ReadEventAsync(source, console, cancellationToken);

        await using var services = await CliApplication.StartAsync(console, environment, time, function, cancellationToken);
        await services.Migrator.MigrateAsync(cancellationToken);
        try
        {
            var response = await services.StreamSync.HandleAsync(eventJson, cancellationToken);
            await console.Out.WriteLineAsync(System.Text.Encoding.UTF8.GetString(response));
            return ExitCodes.Ok;
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            // In Lambda this is an invocation error: the whole batch is retried.
            services.Log.Error(e, "Handler failed");
            await console.Error.WriteLineAsync($"error: the {function} handler failed: {e.Message}");
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
        if (!File.Exists(source)) throw new UsageException($"Event file '{source}' does not exist.");
        return await File.ReadAllBytesAsync(source, cancellationToken);
    }
}
