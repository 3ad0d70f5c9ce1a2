using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace CloudShelf.Sync.Demo;

/// <summary>
/// One run of the real operator CLI, <c>dotnet cloudshelf-sync.dll ARGS</c>, as a child process: stdout
/// kept for the report, stdout and stderr (logs, EMF metrics) also written to a log file.
/// Disposing it kills a process that is still running, so no child outlives the demo.
/// </summary>
internal sealed class CliProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _stdout = new();
    private readonly StreamWriter _log;
    private readonly Lock _logLock = new();

    private CliProcess(Process process, StreamWriter log, string description)
    {
        _process = process;
        _log = log;
        Description = description;
    }

    /// <summary>The command line, for messages.</summary>
    public string Description { get; }

    public bool HasExited => _process.HasExited;

    /// <summary>What the command printed on stdout (its report).</summary>
    public string Stdout
    {
        get
        {
            lock (_stdout) return _stdout.ToString();
        }
    }

    public static CliProcess Start(string cliDll, IReadOnlyList<string> arguments, IReadOnlyDictionary<string, string> environment, string logFile)
    {
        var startInfo = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        startInfo.ArgumentList.Add(cliDll);
        foreach (var argument in arguments) startInfo.ArgumentList.Add(argument);
        foreach (var (name, value) in environment) startInfo.Environment[name] = value;
        // Plain output: the reports are parsed, not looked at.
        startInfo.Environment["NO_COLOR"] = "1";

        Directory.CreateDirectory(Path.GetDirectoryName(logFile)!);
        var log = new StreamWriter(logFile, append: false, new UTF8Encoding(encoderShouldEmitUTF8Identifier: false)) { AutoFlush = true };
        var description = "cloudshelf-sync " + string.Join(' ', arguments);
        var process = new Process { StartInfo = startInfo };
        var cli = new CliProcess(process, log, description);
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null) return;
            lock (cli._stdout) cli._stdout.AppendLine(e.Data);
            cli.WriteLog(e.Data);
        };
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null) cli.WriteLog(e.Data);
        };
        try
        {
            process.Start();
        }
        catch
        {
            log.Dispose();
            process.Dispose();
            throw;
        }
        process.StandardInput.Close();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return cli;
    }

    /// <summary>Waits for the exit and returns the exit status.</summary>
    public async Task<int> WaitAsync(CancellationToken cancellationToken)
    {
        await _process.WaitForExitAsync(cancellationToken);
        return _process.ExitCode;
    }

    /// <summary>
    /// Asks the command to stop as a process manager does (SIGTERM; the CLI takes it as Ctrl-C): <c>stream
    /// run</c> finishes the batches in flight and keeps its checkpoints. Not SIGINT: when the demo runs as a
    /// background job of a non-interactive shell (nohup, <c>&amp;</c> in a script, some CI runners), its
    /// children start with SIGINT ignored, and the CLI would never see it.
    /// </summary>
    public async Task<int> StopAsync(TimeSpan grace, CancellationToken cancellationToken)
    {
        if (!_process.HasExited)
        {
            using var kill = Process.Start(new ProcessStartInfo("kill", ["-TERM", _process.Id.ToString(CultureInfo.InvariantCulture)])
            {
                UseShellExecute = false,
            })!;
            await kill.WaitForExitAsync(cancellationToken);
        }
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(grace);
        try
        {
            return await WaitAsync(timeout.Token);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new InvalidOperationException($"`{Description}` did not stop within {grace.TotalSeconds:0} s of SIGTERM.");
        }
    }

    private void WriteLog(string line)
    {
        lock (_logLock) _log.WriteLine(line);
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                await _process.WaitForExitAsync();
            }
            else
            {
                // Lets the asynchronous readers deliver their last lines.
                await _process.WaitForExitAsync();
            }
        }
        finally
        {
            _process.Dispose();
            lock (_logLock) _log.Dispose();
        }
    }
}
