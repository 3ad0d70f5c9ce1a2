using System.Diagnostics;
using System.Text;
using System.Text.Json;
using CloudShelf.Sync.Configuration;
using CloudShelf.Sync.Hosting;
using CloudShelf.Sync.Streams;
using CloudShelf.Sync.StreamSync;

namespace CloudShelf.Sync.Cli.LocalMapping;

/// <summary>
/// Invokes the published Native AOT <c>bootstrap</c> (what ships) through a local Runtime API, as
/// Lambda does: a few execution environments (processes), each taking one invocation at a time.
/// A process that dies is started again; the invocation it held fails when its deadline passes.
/// </summary>
internal sealed class BootstrapInvoker : IBatchInvoker
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(2);

    private readonly string _path;
    private readonly Dictionary<string, string> _environment;
    private readonly TextWriter _log;
    private readonly TimeProvider _time;
    private readonly LocalRuntimeApi _api = LocalRuntimeApi.Start();
    private readonly List<Process> _processes = [];
    private readonly Lock _gate = new();
    private bool _disposed;

    /// <param name="path">The bootstrap executable.</param>
    /// <param name="environment">The CLI's environment: its CLOUDSHELF_*, AWS_* and POWERTOOLS_* settings are passed on.</param>
    /// <param name="environments">How many execution environments to run.</param>
    /// <param name="log">Where the processes' output goes (their JSON logs).</param>
    /// <param name="time">The clock.</param>
    public BootstrapInvoker(string path, IReadOnlyDictionary<string, string> environment, int environments, TextWriter log, TimeProvider time)
    {
        _path = Path.GetFullPath(path);
        _log = log;
        _time = time;
        _environment = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (name, value) in environment)
        {
            if (name.StartsWith("CLOUDSHELF_", StringComparison.Ordinal) || name.StartsWith("AWS_", StringComparison.Ordinal)
                || name.StartsWith("POWERTOOLS_", StringComparison.Ordinal))
                _environment[name] = value;
        }
        _environment["AWS_LAMBDA_RUNTIME_API"] = _api.HostAndPort;
        _environment["_HANDLER"] = StreamSyncHandler.Name;
        _environment["AWS_LAMBDA_FUNCTION_NAME"] = "cloudshelf-sync-local-stream-sync";
        _environment["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"] = "1024";
        for (var i = 0; i < Math.Max(1, environments); i++) _processes.Add(Launch());
    }

    /// <summary>The process ids of the execution environments.</summary>
    public IReadOnlyList<int> ProcessIds
    {
        get
        {
            lock (_gate) return _processes.Select(p => p.Id).ToList();
        }
    }

    public async Task<InvocationOutcome> InvokeAsync(byte[] eventJson, CancellationToken cancellationToken)
    {
        RestartExited();
        if (_api.InitError.IsCompleted)
            return InvocationOutcome.Failed($"bootstrap failed to start: {await _api.InitError}");
        var deadline = _time.GetUtcNow() + Timeout;
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        // Past the deadline Lambda stops the invocation; a dead process never answers either.
        timeout.CancelAfter(Timeout + TimeSpan.FromSeconds(5));
        (bool Ok, string Body) answer;
        try
        {
            answer = await _api.InvokeAsync(eventJson, deadline, timeout.Token);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return InvocationOutcome.Failed("Task timed out: bootstrap gave no answer before the deadline.");
        }
        if (!answer.Ok) return InvocationOutcome.Failed($"bootstrap posted an invocation error: {answer.Body}");
        try
        {
            return InvocationOutcome.Answered(StreamEventSerializer.ReadResponse(Encoding.UTF8.GetBytes(answer.Body)));
        }
        catch (JsonException e)
        {
            return InvocationOutcome.Failed($"The response is not a partial batch response: {e.Message}");
        }
    }

    private Process Launch()
    {
        var startInfo = new ProcessStartInfo(_path)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = Path.GetDirectoryName(_path)!,
        };
        // Exactly the function's environment, as Lambda gives it: nothing else of this process leaks in.
        startInfo.Environment.Clear();
        foreach (var name in new[] { "PATH", "HOME" })
        {
            if (Environment.GetEnvironmentVariable(name) is { } value) startInfo.Environment[name] = value;
        }
        foreach (var (name, value) in _environment) startInfo.Environment[name] = value;
        var process = new Process { StartInfo = startInfo };
        process.OutputDataReceived += (_, e) => Forward(e.Data);
        process.ErrorDataReceived += (_, e) => Forward(e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }

    private void Forward(string? line)
    {
        if (line is null) return;
        lock (_log) _log.WriteLine(line);
    }

    private void RestartExited()
    {
        lock (_gate)
        {
            if (_disposed) return;
            for (var i = 0; i < _processes.Count; i++)
            {
                if (!_processes[i].HasExited) continue;
                _processes[i].Dispose();
                _processes[i] = Launch();
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        List<Process> processes;
        lock (_gate)
        {
            _disposed = true;
            processes = [.. _processes];
        }
        foreach (var process in processes)
        {
            if (!process.HasExited) process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
            process.Dispose();
        }
        await _api.DisposeAsync();
    }

    /// <summary>The environment for the bootstrap, from the CLI's own.</summary>
    public static IReadOnlyDictionary<string, string> EnvironmentFrom(IEnvironment environment, IEnumerable<string> names)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var name in names)
        {
            if (environment.Get(name) is { } value) result[name] = value;
        }
        return result;
    }
}
