using CloudShelf.Sync.Configuration;
using CloudShelf.Sync.Observability;
using CloudShelf.Sync.Hosting;

namespace CloudShelf.Sync.Cli;

/// <summary>
/// <c>invoke &lt;function&gt; --event &lt;file|-&gt;</c>: the <c>sam local invoke</c> of this machine. Runs
/// the function's handler (the same <see cref="FunctionCatalog"/> as bootstrap) in-process against
/// the configured database; stdout carries only its JSON response.
/// </summary>
internal static class InvokeCommand
{
    public static async Task<int> RunAsync(IEnumerable<string> args, CliConsole console, IEnvironment environment, TimeProvider time, CancellationToken cancellationToken)
    {
        var parsed = CliArguments.Parse(args, new HashSet<string> { "--event" }, new HashSet<string>());
        if (parsed.Positional.Count != 1) throw new UsageException("invoke needs exactly one function name, e.g. invoke stream-sync --event events/books-insert.json.");
        var function = parsed.Positional[0];
        if (!FunctionCatalog.Names.Contains(function))
            throw new UsageException($"Unknown function '{function}'; the functions are: {string.Join(", ", FunctionCatalog.Names)}.");
        var source = parsed.Value("--event") ?? throw new UsageException("invoke needs --event <file|->.");
        var eventJson = await ReadEventAsync(source, console, cancellationToken);

        // The same start-up as bootstrap: the settings are checked for every function, the
        // schema is checked for those that use it (only `migrate` applies migrations).
        await using var services = await CliApplication.StartAsync(console, environment, time, function, cancellationToken);
        if (FunctionCatalog.NeedsServices(function)) await services.Migrator.EnsureCompatibleAsync(cancellationToken);
        var handler = FunctionCatalog.Create(function, services);
        var context = new InvocationContext(Guid.NewGuid().ToString(), DateTimeOffset.MaxValue, null, null);
        try
        {
            var response = await handler.HandleAsync(eventJson, context, cancellationToken);
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
