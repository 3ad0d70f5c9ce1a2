using System.Text.Json;

namespace CloudShelf.Sync.Demo;

/// <summary>
/// sync-lag and drift-detector on their EventBridge schedules, scaled down to the demo's seconds: each
/// is the CLI's one-run command (<c>lag --json</c>, <c>drift --json</c>), started every period and
/// never twice at once (as the template's <c>MaximumRetryAttempts: 0</c> and one schedule imply).
/// The samples feed the report's charts. Disposing it stops both loops and their child processes.
/// </summary>
internal sealed class ScheduledMonitors(DemoStack stack, DemoOptions options, TimeProvider time) : IAsyncDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly List<LagSample> _lag = [];
    private readonly List<DriftSample> _drift = [];
    private readonly List<string> _failures = [];
    private Task _loops = Task.CompletedTask;
    private CancellationTokenSource? _linked;
    private int _lagRuns;
    private int _driftRuns;

    public IReadOnlyList<LagSample> Lag
    {
        get
        {
            lock (_lag) return [.. _lag];
        }
    }

    public IReadOnlyList<DriftSample> Drift
    {
        get
        {
            lock (_drift) return [.. _drift];
        }
    }

    /// <summary>Runs that could not run (exit 2): the report lists them.</summary>
    public IReadOnlyList<string> Failures
    {
        get
        {
            lock (_failures) return [.. _failures];
        }
    }

    public int LagRuns => Volatile.Read(ref _lagRuns);

    public int DriftRuns => Volatile.Read(ref _driftRuns);

    public void Start(CancellationToken cancellationToken)
    {
        _linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _stop.Token);
        var token = _linked.Token;
        _loops = Task.WhenAll(
            EveryAsync(options.LagEvery, LagOnceAsync, token),
            // The first drift pass waits one period: the backfill has only just begun.
            EveryAsync(options.DriftEvery, DriftOnceAsync, token, initialDelay: options.DriftEvery));
    }

    /// <summary>The first lag sample taken after <paramref name="since"/>: waits for the next scheduled run.</summary>
    public async Task<IReadOnlyList<LagSample>> NextLagAsync(DateTimeOffset since, CancellationToken cancellationToken)
    {
        while (true)
        {
            var after = Lag.Where(s => s.At > since).ToList();
            if (after.Count > 0) return after.Where(s => s.At == after[0].At).ToList();
            if (_loops.IsCompleted) throw new InvalidOperationException("sync-lag's schedule has stopped.");
            await Task.Delay(TimeSpan.FromMilliseconds(200), time, cancellationToken);
        }
    }

    public async Task StopAsync()
    {
        await _stop.CancelAsync();
        try
        {
            await _loops;
        }
        catch (OperationCanceledException)
        {
            // The loops end by cancellation.
        }
    }

    private async Task EveryAsync(TimeSpan period, Func<CancellationToken, Task> once, CancellationToken cancellationToken, TimeSpan initialDelay = default)
    {
        if (initialDelay > TimeSpan.Zero) await Task.Delay(initialDelay, time, cancellationToken);
        while (!cancellationToken.IsCancellationRequested)
        {
            var started = time.GetTimestamp();
            await once(cancellationToken);
            var rest = period - time.GetElapsedTime(started);
            if (rest > TimeSpan.Zero) await Task.Delay(rest, time, cancellationToken);
        }
    }

    private async Task LagOnceAsync(CancellationToken cancellationToken)
    {
        var at = time.GetUtcNow();
        var n = Interlocked.Increment(ref _lagRuns);
        // Exit 1 is a finding (a table behind): a sample like any other.
        var (code, json) = await RunAsync($"lag-{n:000}", ["lag", "--json"], cancellationToken);
        if (code is not (0 or 1)) return;
        var finished = time.GetUtcNow();
        using var document = JsonDocument.Parse(json);
        var samples = document.RootElement.GetProperty("tables").EnumerateArray().Select(t => new LagSample(at, finished,
            t.GetProperty("table").GetString() ?? "?",
            t.GetProperty("syncLagSeconds").GetDouble(),
            t.GetProperty("unappliedChanges").GetInt64(),
            t.GetProperty("lostChanges").GetInt64())).ToList();
        lock (_lag) _lag.AddRange(samples);
    }

    private async Task DriftOnceAsync(CancellationToken cancellationToken)
    {
        var at = time.GetUtcNow();
        var n = Interlocked.Increment(ref _driftRuns);
        var (code, json) = await RunAsync($"drift-{n:000}", ["drift", "--json", "--segments", "2"], cancellationToken);
        if (code is not (0 or 1)) return;
        var samples = ParseDrift(at, json);
        lock (_drift) _drift.AddRange(samples);
    }

    /// <summary>The tables of <c>drift --json</c>.</summary>
    public static List<DriftSample> ParseDrift(DateTimeOffset at, string json)
    {
        using var document = JsonDocument.Parse(json);
        return document.RootElement.GetProperty("tables").EnumerateArray().Select(t => new DriftSample(at,
            t.GetProperty("table").GetString() ?? "?",
            t.GetProperty("itemsCompared").GetInt64(),
            t.GetProperty("openDrift").GetInt64(),
            t.GetProperty("inFlight").GetInt64(),
            t.GetProperty("fullCoverage").GetBoolean())).ToList();
    }

    private async Task<(int Code, string Stdout)> RunAsync(string logName, string[] arguments, CancellationToken cancellationToken)
    {
        await using var cli = stack.StartCli(logName, arguments);
        var code = await cli.WaitAsync(cancellationToken);
        if (code is not (0 or 1))
        {
            lock (_failures) _failures.Add($"`{cli.Description}` exited {code}; see {Path.Combine(stack.LogDirectory, logName + ".log")}");
        }
        return (code, cli.Stdout);
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        _linked?.Dispose();
        _stop.Dispose();
    }
}
