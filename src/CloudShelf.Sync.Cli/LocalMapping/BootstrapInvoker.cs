using System.Diagnostics;
using System.Text;
using System.Text.Json;
using System.Threading.Channels;
using CloudShelf.Sync.Configuration;
using CloudShelf.Sync.Hosting;
using CloudShelf.Sync.Streams;
using CloudShelf.Sync.StreamSync;

namespace CloudShelf.Sync.Cli.LocalMapping;

/// <summary>
/// Invokes the published Native AOT <c>bootstrap</c> (what ships) as Lambda does: a few execution
/// environments, each one process behind its own local Runtime API, taking one invocation at a time.
/// An invocation fails when its environment's process dies during it (as Lambda reports "Runtime
/// exited"), or when no answer comes by the function timeout; a dead process is started again.
/// </summary>
internal sealed class BootstrapInvoker : IBatchInvoker
{
    // How long past the deadline an answer is still awaited: the runtime posts it just before.
    private static readonly TimeSpan Grace = TimeSpan.FromSeconds(2);

    private readonly string _path;
    private readonly Dictionary<string, string> _environment;
    private readonly TextWriter _log;
    private readonly TimeProvider _time;
    private readonly TimeSpan _timeout;
    private readonly List<ExecutionEnvironment> _environments = [];
    private readonly Channel<ExecutionEnvironment> _idle = Channel.CreateUnbounded<ExecutionEnvironment>();
    private readonly Lock _gate = new();
    private bool _disposed;

    /// <param name="path">The bootstrap executable.</param>
    /// <param name="environment">The CLI's environment: its CLOUDSHELF_*, AWS_* and POWERTOOLS_* settings are passed on.</param>
    /// <param name="environments">How many execution environments to run.</param>
    /// <param name="log">Where the processes' output goes (their JSON logs).</param>
    /// <param name="time">The clock.</param>
    /// <param name="timeout">The function timeout (the invocation's deadline); <see cref="LocalMappingOptions.DefaultFunctionTimeout"/> when null.</param>
    public BootstrapInvoker(string path, IReadOnlyDictionary<string, string> environment, int environments, TextWriter log, TimeProvider time,
        TimeSpan? timeout = null)
    {
        _path = Path.GetFullPath(path);
        _log = log;
        _time = time;
        _timeout = timeout ?? LocalMappingOptions.DefaultFunctionTimeout;
        _environment = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (name, value) in environment)
        {
            if (name.StartsWith("CLOUDSHELF_", StringComparison.Ordinal) || name.StartsWith("AWS_", StringComparison.Ordinal)
                || name.StartsWith("POWERTOOLS_", StringComparison.Ordinal))
                _environment[name] = value;
        }
        _environment["_HANDLER"] = StreamSyncHandler.Name;
        _environment["AWS_LAMBDA_FUNCTION_NAME"] = "cloudshelf-sync-local-stream-sync";
        _environment["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"] = "1024";
        for (var i = 0; i < Math.Max(1, environments); i++)
        {
            var started = new ExecutionEnvironment(LocalRuntimeApi.Start());
            started.Process = Launch(started.Api);
            _environments.Add(started);
            _idle.Writer.TryWrite(started);
        }
    }

    /// <summary>The process ids of the execution environments.</summary>
    public IReadOnlyList<int> ProcessIds
    {
        get
        {
            lock (_gate) return _environments.Select(e => e.Process.Id).ToList();
        }
    }

    public async Task<InvocationOutcome> InvokeAsync(byte[] eventJson, CancellationToken stopping)
    {
        var environment = await _idle.Reader.ReadAsync(stopping);
        try
        {
            var process = EnsureRunning(environment);
            if (environment.Api.InitError.IsCompleted)
                return InvocationOutcome.Failed($"bootstrap failed to start: {await environment.Api.InitError}");
            var deadline = _time.GetUtcNow() + _timeout;
            // Past the deadline Lambda stops the invocation. Stopping the mapping does not: it waits for the answer.
            using var timeout = new CancellationTokenSource(_timeout + Grace, _time);
            try
            {
                var answer = environment.Api.InvokeAsync(eventJson, deadline, timeout.Token);
                var exited = process.WaitForExitAsync(timeout.Token);
                if (await Task.WhenAny(answer, exited) != answer && exited.IsCompletedSuccessfully && !answer.IsCompleted)
                {
                    // The runtime died holding the invocation: Lambda fails it at once ("Runtime exited"), not at the deadline.
                    return InvocationOutcome.Failed($"Runtime exited with exit code {process.ExitCode} during the invocation.");
                }
                (bool Ok, string Body) result;
                try
                {
                    result = await answer;
                }
                catch (OperationCanceledException)
                {
                    // Lambda resets an environment whose invocation timed out: the next one starts a new process.
                    Stop(process);
                    return InvocationOutcome.Failed($"Task timed out after {_timeout.TotalSeconds:0} seconds: bootstrap gave no answer.");
                }
                if (!result.Ok) return InvocationOutcome.Failed($"bootstrap posted an invocation error: {result.Body}");
                try
                {
                    return InvocationOutcome.Answered(StreamEventSerializer.ReadResponse(Encoding.UTF8.GetBytes(result.Body)));
                }
                catch (JsonException e)
                {
                    return InvocationOutcome.Failed($"The response is not a partial batch response: {e.Message}");
                }
            }
            finally
            {
                // Ends the wait for the process's exit (and its Exited handler) along with the invocation.
                await timeout.CancelAsync();
            }
        }
        finally
        {
            _idle.Writer.TryWrite(environment);
        }
    }

    private static void Stop(Process process)
    {
        try
        {
            if (!process.HasExited) process.Kill(entireProcessTree: true);
            process.WaitForExit(TimeSpan.FromSeconds(5));
        }
        catch (InvalidOperationException)
        {
            // It exited meanwhile.
        }
    }

    private Process EnsureRunning(ExecutionEnvironment environment)
    {
        lock (_gate)
        {
            if (_disposed) throw new ObjectDisposedException(nameof(BootstrapInvoker));
            if (!environment.Process.HasExited) return environment.Process;
            environment.Process.Dispose();
            // A timed-out or dead runtime may have left an invocation behind: a fresh Runtime API starts clean.
            var old = environment.Api;
            environment.Api = LocalRuntimeApi.Start();
            _ = old.DisposeAsync().AsTask();
            environment.Process = Launch(environment.Api);
            return environment.Process;
        }
    }

    private Process Launch(LocalRuntimeApi api)
    {
        // In a session of its own, as Lambda runs it: a Ctrl-C in the operator's terminal goes to the
        // whole foreground process group and would kill the bootstraps mid-batch, where stream run
        // means to finish the batches in flight. setsid(1) execs in place (this child leads no group),
        // so the process is the bootstrap itself.
        var startInfo = new ProcessStartInfo("setsid", [_path])
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
        startInfo.Environment["AWS_LAMBDA_RUNTIME_API"] = api.HostAndPort;
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

    public async ValueTask DisposeAsync()
    {
        List<ExecutionEnvironment> environments;
        lock (_gate)
        {
            _disposed = true;
            environments = [.. _environments];
        }
        foreach (var environment in environments)
        {
            Stop(environment.Process);
            environment.Process.Dispose();
            await environment.Api.DisposeAsync();
        }
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

    /// <summary>One execution environment: a bootstrap process and the Runtime API it polls.</summary>
    private sealed class ExecutionEnvironment(LocalRuntimeApi api)
    {
        public LocalRuntimeApi Api { get; set; } = api;
        public Process Process { get; set; } = null!;
    }
}
