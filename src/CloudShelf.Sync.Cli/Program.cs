using System.Runtime.InteropServices;
using CloudShelf.Sync.Configuration;

namespace CloudShelf.Sync.Cli;

internal static class Program
{
    public static async Task<int> Main(string[] args)
    {
        using var cancellation = new CancellationTokenSource();
        // Ctrl-C (SIGINT) and SIGTERM both stop cleanly: stream run finishes its batches in flight and
        // keeps its checkpoints. SIGTERM is what process managers and CI send, and the one to script
        // with: a shell starts background jobs with SIGINT ignored, and the runtime keeps it ignored.
        // A second signal ends the process at once, as an operator who cannot wait expects.
        Console.CancelKeyPress += (_, e) => e.Cancel = Stop(cancellation, "Ctrl-C again");
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, context => context.Cancel = Stop(cancellation, "SIGTERM again"));
        var console = new CliConsole(Console.In, Console.OpenStandardInput(), Console.Out, Console.Error, !Console.IsErrorRedirected)
        {
            OutIsTerminal = !Console.IsOutputRedirected,
        };
        return await CliApplication.RunAsync(args, console, ProcessEnvironment.Instance, TimeProvider.System, cancellation.Token);
    }

    /// <summary>Starts a clean stop; false (let the signal end the process) when one was already asked for.</summary>
    private static bool Stop(CancellationTokenSource cancellation, string again)
    {
        if (cancellation.IsCancellationRequested) return false;
        Console.Error.WriteLine($"Stopping ({again} to stop at once).");
        cancellation.Cancel();
        return true;
    }
}
