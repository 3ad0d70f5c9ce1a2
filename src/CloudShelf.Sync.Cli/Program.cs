using System.Runtime.InteropServices;
using CloudShelf.Sync.Configuration;

namespace CloudShelf.Sync.Cli;

internal static class Program
{
    // Never disposed: it lives as long as the process, and a signal may still arrive while it exits.
    private static readonly CancellationTokenSource s_cancellation = new();
    private static int s_stopping;

    public static async Task<int> Main(string[] args)
    {
        // Ctrl-C (SIGINT) and SIGTERM both stop cleanly: stream run finishes its batches in flight and
        // keeps its checkpoints. SIGTERM is what process managers and CI send, and the one to script
        // with: a shell starts background jobs with SIGINT ignored, and the runtime keeps it ignored.
        // A second signal ends the process at once, as an operator who cannot wait expects.
        Console.CancelKeyPress += (_, e) => e.Cancel = Stop("Ctrl-C again");
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, context => context.Cancel = Stop("SIGTERM again"));
        var console = new CliConsole(Console.In, Console.OpenStandardInput(), Console.Out, Console.Error, !Console.IsErrorRedirected)
        {
            OutIsTerminal = !Console.IsOutputRedirected,
        };
        return await CliApplication.RunAsync(args, console, ProcessEnvironment.Instance, TimeProvider.System, s_cancellation.Token);
    }

    /// <summary>Starts a clean stop; false (let the signal end the process) when one was already asked for.</summary>
    private static bool Stop(string again)
    {
        if (Interlocked.Exchange(ref s_stopping, 1) == 1) return false;
        Console.Error.WriteLine($"Stopping ({again} to stop at once).");
        // Off the signal thread: cancellation callbacks (Npgsql sends its cancel request in one) may block.
        _ = Task.Run(s_cancellation.Cancel);
        return true;
    }
}
