using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace CloudShelf.Sync.Testing;

/// <summary>
/// A DynamoDB table API for integration tests: either the endpoint named by
/// <c>CLOUDSHELF_DYNAMODB_ENDPOINT</c>, or an in-memory dynalite (pinned in the repository's
/// package-lock.json) that lives exactly as long as this object.
/// </summary>
/// <remarks>
/// Tables become ACTIVE at once (<c>--createTableMs 0</c>), so tests need not poll
/// DescribeTable. Dynalite implements the table API only, not DynamoDB Streams.
/// </remarks>
public sealed class DynaliteServer : IAsyncDisposable
{
    /// <summary>Names an existing endpoint to use instead of starting dynalite.</summary>
    public const string EndpointEnvironmentVariable = "CLOUDSHELF_DYNAMODB_ENDPOINT";

    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(20);
    private const int StartAttempts = 3;

    private readonly Process? _process;
    private bool _disposed;

    private DynaliteServer(string endpoint, Process? process)
    {
        Endpoint = endpoint;
        _process = process;
    }

    /// <summary>Service URL for the AWS SDK's <c>ServiceURL</c>, e.g. <c>http://127.0.0.1:41234</c>.</summary>
    public string Endpoint { get; }

    /// <summary>
    /// Uses the endpoint named by <see cref="EndpointEnvironmentVariable"/> when it is set;
    /// otherwise starts dynalite on a free loopback port and waits until it accepts connections.
    /// </summary>
    /// <param name="ct">Cancels start-up.</param>
    /// <returns>A running server; dispose it to stop dynalite.</returns>
    /// <exception cref="InvalidOperationException">
    /// node_modules/dynalite is missing, node cannot be started, or dynalite did not accept
    /// connections within 20 seconds (the message holds its stderr).
    /// </exception>
    public static async Task<DynaliteServer> StartAsync(CancellationToken ct = default)
    {
        var external = Environment.GetEnvironmentVariable(EndpointEnvironmentVariable);
        if (!string.IsNullOrWhiteSpace(external))
        {
            return new DynaliteServer(external, process: null);
        }

        var cli = Path.Combine(RepositoryRoot.Find(), "node_modules", "dynalite", "cli.js");
        if (!File.Exists(cli))
        {
            throw new InvalidOperationException(
                $"{cli} is missing: run `make deps` (it runs `npm ci`), or set {EndpointEnvironmentVariable}.");
        }

        // "EADDRINUSE": another process bound the port between the probe and dynalite's listen.
        var (process, port) = await LocalServerProcess.StartOnFreePortAsync(
            (freePort, stderr) => Launch(cli, freePort, stderr), "dynalite", "EADDRINUSE",
            StartAttempts, StartTimeout, TimeSpan.FromMilliseconds(50), ct);
        return new DynaliteServer("http://127.0.0.1:" + port.ToString(CultureInfo.InvariantCulture), process);
    }

    /// <summary>Kills the dynalite process tree; its in-memory tables are gone.</summary>
    public async ValueTask DisposeAsync()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        if (_process is not null)
        {
            await LocalServerProcess.StopAsync(_process);
        }
    }

    private static Process Launch(string cli, int port, StringBuilder stderr)
    {
        var startInfo = new ProcessStartInfo("node")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        var portText = port.ToString(CultureInfo.InvariantCulture);
        foreach (var argument in new[]
        {
            cli,
            // Loopback only: a test server has no business being reachable from the network.
            "--host", "127.0.0.1",
            "--port", portText,
            "--createTableMs", "0",
            "--deleteTableMs", "0",
            "--updateTableMs", "0",
        })
        {
            startInfo.ArgumentList.Add(argument);
        }

        var process = new Process { StartInfo = startInfo };
        try
        {
            process.ErrorDataReceived += (_, e) => LocalServerProcess.Append(stderr, e.Data);
            // Drained so a chatty server never blocks on a full pipe.
            process.OutputDataReceived += (_, _) => { };
            process.Start();
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            return process;
        }
        catch (System.ComponentModel.Win32Exception ex)
        {
            process.Dispose();
            throw new InvalidOperationException($"Could not start node (is Node.js on PATH?): {ex.Message}", ex);
        }
        catch
        {
            process.Dispose();
            throw;
        }
    }
}
