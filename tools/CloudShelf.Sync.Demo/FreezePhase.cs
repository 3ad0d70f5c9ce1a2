namespace CloudShelf.Sync.Demo;

/// <summary>
/// The traffic has stopped: Phase 1's writes are frozen for the cut-over. The mapping keeps running
/// and the phase waits for a scheduled sync-lag run that started after the freeze and shows nothing
/// unapplied in any table: PostgreSQL has caught up with every stream.
/// </summary>
internal sealed class FreezePhase : IDemoPhase
{
    private static readonly TimeSpan Limit = TimeSpan.FromMinutes(3);

    public string Title => "Freeze Phase 1's writes; wait for sync-lag to see every stream applied";

    public async Task RunAsync(DemoRun run, CancellationToken cancellationToken)
    {
        var frozen = run.Time.GetUtcNow();
        run.Events.Add(new DemoEvent(frozen, "writes frozen"));
        var monitors = run.Monitors ?? throw new InvalidOperationException("The schedules are not running.");
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        limit.CancelAfter(Limit);
        var since = frozen;
        try
        {
            while (true)
            {
                var sample = await monitors.NextLagAsync(since, limit.Token);
                since = sample[0].At;
                run.Output.WriteLine(FormattableString.Invariant(
                    $"   sync-lag at +{(since - run.LiveStarted).TotalSeconds:F0} s: {string.Join(", ", sample.Select(s => $"{s.Table} lag {s.LagSeconds:F1} s, {s.Unapplied} unapplied"))}"));
                if (sample.All(s => s.Unapplied == 0)) break;
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new InvalidOperationException($"The streams were not applied within {Limit.TotalMinutes:0} minutes of the freeze; see {run.Stack.LogDirectory}/stream-live.log.");
        }
    }
}
