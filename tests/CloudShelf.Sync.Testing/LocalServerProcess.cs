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
    /// Launches a server on a free port and waits until it listens. When another process took the port
    /// between the probe and the server's bind (its output says <paramref name="portTaken"/>), it tries
    /// another port, up to <paramref name="attempts"/> in all. A server that fails to start is stopped.
    /// </summary>
    /// <returns>The listening process and its port.</returns>
    public static async Task<(Process Process, int Port)> StartOnFreePortAsync(
        Func<int, StringBuilder, Process> launch, string name, string portTaken, int attempts, TimeSpan timeout, TimeSpan poll,
        CancellationToken ct)
    {
        for (var attempt = 1; ; attempt++)
        {
            var port = FreeTcpPort.Next();
            var output = new StringBuilder();
            var process = launch(port, output);
            try
            {
                await WaitUntilListeningAsync(process, name, port, output, timeout, poll, ct);
                return (process, port);
            }
            catch (InvalidOperationException) when (attempt < attempts && Read(output).Contains(portTaken, StringComparison.Ordinal))
            {
                await StopAsync(process);
            }
            catch
            {
                await StopAsync(process);
                throw;
            }
        }
    }

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
