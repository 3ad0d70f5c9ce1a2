using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace CloudShelf.Sync.Testing;

/// <summary>
/// What the throwaway local servers (DynamoDB Local, dynalite) share: waiting until the process
/// listens on its port, stopping it with its children, and the output it printed, which a
/// failed start quotes.
/// </summary>
internal static class LocalServerProcess
{
    /// <summary>
    /// Polls the port until the process accepts connections; throws with the process's output when
    /// it exits first or does not listen within <paramref name="timeout"/>.
    /// </summary>
    public static async Task WaitUntilListeningAsync(
        Process process, string name, int port, StringBuilder output, TimeSpan timeout, TimeSpan poll, CancellationToken ct)
    {
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            ct.ThrowIfCancellationRequested();
            if (process.HasExited)
            {
                // Waiting again lets the output readers drain the pipes, so the message is complete.
                await process.WaitForExitAsync(ct);
                throw new InvalidOperationException(
                    $"{name} exited with {process.ExitCode} before listening on port {port}.\n--- output ---\n{Read(output)}");
            }

            if (await AcceptsConnectionsAsync(port, ct)) return;

            if (deadline.Elapsed > timeout)
            {
                throw new InvalidOperationException(
                    $"{name} did not accept connections on port {port} within {timeout.TotalSeconds:0} s.\n--- output ---\n{Read(output)}");
            }

            await Task.Delay(poll, ct);
        }
    }

    /// <summary>Kills the process and its children, waits for it, and disposes it.</summary>
    public static async Task StopAsync(Process process)
    {
        using (process)
        {
            if (!process.HasExited) process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
        }
    }

    /// <summary>Adds a line of the process's output (the readers call this from their own threads).</summary>
    public static void Append(StringBuilder output, string? line)
    {
        if (line is null) return;
        lock (output) output.AppendLine(line);
    }

    /// <summary>The output so far.</summary>
    public static string Read(StringBuilder output)
    {
        lock (output) return output.ToString();
    }

    private static async Task<bool> AcceptsConnectionsAsync(int port, CancellationToken ct)
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            await socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, port), ct);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }
}
