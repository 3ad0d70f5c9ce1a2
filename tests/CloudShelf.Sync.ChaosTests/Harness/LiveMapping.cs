using CloudShelf.Sync.Cli.LocalMapping;

namespace CloudShelf.Sync.ChaosTests.Harness;

/// <summary>A run of the local mapping in the background, as `stream run` runs beside live traffic; stopping it is Ctrl-C.</summary>
internal sealed class LiveMapping
{
    private readonly CancellationTokenSource _stop = new();
    private readonly LocalEventSourceMapping _mapping;
    private readonly Task<MappingSummary> _run;

    private LiveMapping(LocalEventSourceMapping mapping, IReadOnlyList<string> tables)
    {
        _mapping = mapping;
        _run = Task.Run(() => mapping.RunAsync(tables, _stop.Token));
    }

    /// <summary>What the run did so far.</summary>
    public MappingSummary Summary => _mapping.Summary;

    /// <summary>Records the run sent to the on-failure destination so far.</summary>
    public long RecordsToOnFailure => Summary.Streams.Sum(s => s.RecordsToOnFailure);

    public static LiveMapping Start(LocalEventSourceMapping mapping, IReadOnlyList<string> tables) => new(mapping, tables);

    /// <summary>Fails the scenario at once if the run ended by itself (it only ends when stopped).</summary>
    public void AssertRunning()
    {
        if (_run.IsFaulted) throw new InvalidOperationException("The mapping run failed.", _run.Exception);
        Assert.False(_run.IsCompleted, "the mapping run ended by itself");
    }

    /// <summary>Stops after the batches in flight and returns the summary.</summary>
    public async Task<MappingSummary> StopAsync()
    {
        await _stop.CancelAsync();
        var summary = await _run.WaitAsync(Eventually.DefaultTimeout);
        _stop.Dispose();
        return summary;
    }
}
