using System.Diagnostics;
using System.Text;

namespace CloudShelf.Sync.Testing;

/// <summary>
/// The Native AOT <c>bootstrap</c> as <c>dotnet publish</c> makes it for Lambda, published into
/// <c>.artifacts/lambda</c> (incrementally: a publish with nothing changed takes seconds).
/// </summary>
public static class PublishedBootstrap
{
    private static readonly SemaphoreSlim Gate = new(1, 1);
    private static string? _path;

    /// <summary>Publishes (once per test run) and returns the path of the executable.</summary>
    public static async Task<string> PathAsync(CancellationToken ct = default)
    {
        await Gate.WaitAsync(ct);
        try
        {
            if (_path is not null) return _path;
            var root = RepositoryRoot.Find();
            var output = Path.Combine(root, ".artifacts", "lambda");
            var result = await ExternalProcess.RunAsync("dotnet",
                ["publish", Path.Combine(root, "src", "CloudShelf.Sync.Functions"), "-c", "Release", "-r", "linux-x64", "-o", output, "--nologo"],
                root, ct);
            if (result.ExitCode != 0)
                throw new InvalidOperationException($"dotnet publish of the bootstrap failed:\n{result.Output}");
            return _path = Path.Combine(output, "bootstrap");
        }
        finally
        {
            Gate.Release();
        }
    }
}

/// <summary>A running bootstrap process with its output captured; disposing kills it.</summary>
public sealed class BootstrapProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();

    private BootstrapProcess(Process process)
    {
        _process = process;
        process.OutputDataReceived += (_, e) => Append(e.Data);
        process.ErrorDataReceived += (_, e) => Append(e.Data);
    }

    /// <summary>When the process was started.</summary>
    public DateTimeOffset StartedAt { get; private init; }

    /// <summary>The process id.</summary>
    public int Id => _process.Id;

    /// <summary>Everything the process printed so far (stdout and stderr, one line each).</summary>
    public string Output
    {
        get
        {
            lock (_output) return _output.ToString();
        }
    }

    /// <summary>Whether it has exited.</summary>
    public bool HasExited => _process.HasExited;

    /// <summary>
    /// Starts the bootstrap with exactly the given environment (plus PATH), as Lambda starts it:
    /// nothing of the test process's own CLOUDSHELF_* settings leaks in.
    /// </summary>
    public static BootstrapProcess Start(string path, IReadOnlyDictionary<string, string> environment) => Start(path, [], environment);

    /// <summary>Starts an executable with arguments (e.g. <c>dotnet bootstrap.dll</c>) the same way.</summary>
    public static BootstrapProcess Start(string executable, IEnumerable<string> arguments, IReadOnlyDictionary<string, string> environment)
    {
        ArgumentNullException.ThrowIfNull(environment);
        var startInfo = new ProcessStartInfo(executable, arguments)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = Path.GetTempPath(),
        };
        foreach (var name in new[] { "HOME", "DOTNET_ROOT" })
        {
            if (Environment.GetEnvironmentVariable(name) is { } value) startInfo.Environment[name] = value;
        }
        foreach (var name in startInfo.Environment.Keys.ToList())
        {
            if (name is not ("PATH" or "HOME" or "DOTNET_ROOT")) startInfo.Environment.Remove(name);
        }
        foreach (var (name, value) in environment) startInfo.Environment[name] = value;
        var process = new Process { StartInfo = startInfo };
        var started = DateTimeOffset.UtcNow;
        process.Start();
        var bootstrap = new BootstrapProcess(process) { StartedAt = started };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return bootstrap;
    }

    /// <summary>The peak resident set size (VmHWM) so far, in bytes, read from /proc.</summary>
    public long PeakResidentBytes()
    {
        foreach (var line in File.ReadLines($"/proc/{_process.Id}/status"))
        {
            if (!line.StartsWith("VmHWM:", StringComparison.Ordinal)) continue;
            var kb = long.Parse(line["VmHWM:".Length..].Trim().Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture);
            return kb * 1024;
        }
        throw new InvalidOperationException("VmHWM not found in /proc status.");
    }

    /// <summary>Waits for the process to exit and returns its exit code.</summary>
    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        await _process.WaitForExitAsync(cts.Token);
        return _process.ExitCode;
    }

    private void Append(string? line)
    {
        if (line is null) return;
        lock (_output) _output.AppendLine(line);
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }
        _process.Dispose();
    }
}
