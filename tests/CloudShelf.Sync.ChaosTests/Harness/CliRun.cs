using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace CloudShelf.Sync.ChaosTests.Harness;

/// <summary>
/// The real operator CLI (<c>dotnet cloudshelf-sync.dll ARGS</c>) as a child process, signalled as an
/// operator or a process manager would. It leads a process group of its own, as a terminal's foreground
/// job does, so that <see cref="SignalGroupAsync"/> can signal it as Ctrl-C does. With
/// <c>ignoreSigint</c> it starts as a non-interactive shell starts a background job (<c>cmd &amp;</c>,
/// nohup): with SIGINT ignored, which the runtime keeps.
/// </summary>
public sealed class CliRun : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _stdout = new();
    private readonly StringBuilder _stderr = new();

    private CliRun(Process process) => _process = process;

    public int Id => _process.Id;

    public bool HasExited => _process.HasExited;

    public int ExitCode => _process.ExitCode;

    public string Stdout
    {
        get
        {
            lock (_stdout) return _stdout.ToString();
        }
    }

    public string Stderr
    {
        get
        {
            lock (_stderr) return _stderr.ToString();
        }
    }

    public static CliRun Start(IReadOnlyDictionary<string, string> environment, bool ignoreSigint, params string[] arguments)
    {
        var cli = typeof(Cli.LocalMapping.BootstrapInvoker).Assembly.Location;
        // setsid and exec keep the pid, and a disposition set to ignore survives exec (signal(7)).
        var startInfo = new ProcessStartInfo("setsid")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        startInfo.ArgumentList.Add("/bin/sh");
        startInfo.ArgumentList.Add("-c");
        startInfo.ArgumentList.Add((ignoreSigint ? "trap '' INT; " : "") + "exec dotnet \"$@\"");
        startInfo.ArgumentList.Add("cloudshelf-sync");
        startInfo.ArgumentList.Add(cli);
        foreach (var argument in arguments) startInfo.ArgumentList.Add(argument);
        foreach (var (name, value) in environment) startInfo.Environment[name] = value;
        var process = new Process { StartInfo = startInfo };
        var run = new CliRun(process);
        process.OutputDataReceived += (_, e) => Append(run._stdout, e.Data);
        process.ErrorDataReceived += (_, e) => Append(run._stderr, e.Data);
        process.Start();
        process.StandardInput.Close();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return run;
    }

    /// <summary>Sends a signal (INT, TERM) to the CLI, as <c>kill -s</c> does.</summary>
    public Task SignalAsync(string signal) => KillAsync(signal, Id.ToString(CultureInfo.InvariantCulture));

    /// <summary>Sends a signal to the CLI's whole process group, as a terminal sends Ctrl-C (SIGINT) to its foreground job.</summary>
    public Task SignalGroupAsync(string signal) => KillAsync(signal, "-" + Id.ToString(CultureInfo.InvariantCulture));

    private static async Task KillAsync(string signal, string target)
    {
        using var kill = Process.Start(new ProcessStartInfo("kill", ["-s", signal, "--", target]) { UseShellExecute = false })!;
        await kill.WaitForExitAsync();
        Assert.True(kill.ExitCode == 0, $"kill -s {signal} -- {target} failed");
    }

    /// <summary>The pids of the CLI's child processes (the bootstraps of <c>stream run --bootstrap</c>).</summary>
    public IReadOnlyList<int> Children()
    {
        var children = new List<int>();
        foreach (var task in Directory.EnumerateDirectories($"/proc/{Id}/task"))
        {
            var path = Path.Combine(task, "children");
            if (!File.Exists(path)) continue;
            children.AddRange(File.ReadAllText(path).Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(p => int.Parse(p, CultureInfo.InvariantCulture)));
        }
        return children;
    }

    /// <summary>Waits for the exit; fails naming what the CLI printed when it does not come within <paramref name="limit"/>.</summary>
    public async Task<int> WaitAsync(TimeSpan limit, string what)
    {
        using var timeout = new CancellationTokenSource(limit);
        try
        {
            await _process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"Waited {limit.TotalSeconds:0} s for {what}. stderr:\n{Stderr}");
        }
        return _process.ExitCode;
    }

    private static void Append(StringBuilder text, string? line)
    {
        if (line is null) return;
        lock (text) text.AppendLine(line);
    }

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
