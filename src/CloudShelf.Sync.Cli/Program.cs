using CloudShelf.Sync.Configuration;

namespace CloudShelf.Sync.Cli;

internal static class Program
{
    public static async Task<int> Main(string[] args)
    {
        using var cancellation = new CancellationTokenSource();
        Console.CancelKeyPress += (_, e) =>
        {
            e.Cancel = true;
            cancellation.Cancel();
        };
        var console = new CliConsole(Console.In, Console.OpenStandardInput(), Console.Out, Console.Error, !Console.IsErrorRedirected)
        {
            OutIsTerminal = !Console.IsOutputRedirected,
        };
        return await CliApplication.RunAsync(args, console, ProcessEnvironment.Instance, TimeProvider.System, cancellation.Token);
    }
}
