using System.Diagnostics;
using System.Globalization;

namespace CloudShelf.Sync.Demo;

/// <summary>
/// The race the migration must win: the backfill scans the seeded items while Phase 1 keeps writing
/// and <c>stream run --bootstrap</c> carries every change through the published bootstrap to
/// PostgreSQL; sync-lag and drift-detector run on their schedules meanwhile. A backfilled row must
/// never overwrite a newer streamed one, nor bring back a deleted item. The mapping and the schedules
/// keep running after this phase, as they do in production, until the cut-over.
/// </summary>
internal sealed class LiveMigrationPhase : IDemoPhase
{
    public string Title => "Live: Phase 1 traffic, backfill, stream run (bootstrap), sync-lag and drift-detector on their schedules";

    public async Task RunAsync(DemoRun run, CancellationToken cancellationToken)
    {
        var stack = run.Stack;
        run.LiveStarted = run.Time.GetUtcNow();
        run.StreamRun = stack.StartCli("stream-live", "stream", "run", "--bootstrap", stack.Bootstrap, "--on-failure-dir", stack.OnFailureDirectory);
        run.Monitors = new ScheduledMonitors(stack, run.Options, run.Time);
        run.Monitors.Start(cancellationToken);
        await using var backfill = stack.StartCli("backfill", "backfill", "--segments", run.Options.Segments.ToString(CultureInfo.InvariantCulture));
        var started = Stopwatch.GetTimestamp();
        using var stopTraffic = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var generator = new Traffic(stack.DynamoDb, run.Catalogue, run.Writes, run.Options.Seed, run.Time);
        var traffic = generator.RunAsync(run.Options.Traffic, run.Options.Rate, stopTraffic.Token);
        TimeSpan backfillDone;
        try
        {
            var backfillCode = await backfill.WaitAsync(cancellationToken);
            backfillDone = Stopwatch.GetElapsedTime(started);
            if (backfillCode != 0) throw new InvalidOperationException($"`{backfill.Description}` exited {backfillCode}; see {stack.LogDirectory}/backfill.log.");
        }
        catch
        {
            // No write may outlive the phase that failed: the traffic stops before the stack goes.
            await stopTraffic.CancelAsync();
            try
            {
                await traffic;
            }
            catch (OperationCanceledException)
            {
                // Expected: it was just cancelled.
            }
            throw;
        }
        await traffic;
        if (run.StreamRun.HasExited)
            throw new InvalidOperationException($"`{run.StreamRun.Description}` stopped during the live phase; see {stack.LogDirectory}/stream-live.log.");
        CliReports.AddBackfill(backfill.Stdout, stack.Mapping, run.Tallies);

        run.Output.WriteLine($"   stream run --bootstrap {Path.GetRelativePath(Environment.CurrentDirectory, stack.Bootstrap)} (Native AOT behind the local Runtime API)");
        run.Output.WriteLine(FormattableString.Invariant($"   backfill finished after {backfillDone.TotalSeconds:F1} s: {backfill.Stdout.Trim().Split('\n')[^1].Trim()}"));
        run.Output.WriteLine(FormattableString.Invariant(
            $"   traffic: {run.Writes.Total} writes in {generator.Elapsed.TotalSeconds:F1} s ({string.Join(", ", run.Writes.Counts.OrderByDescending(c => c.Value).Select(c => $"{c.Value} {c.Key}"))})"));
        run.Output.WriteLine(FormattableString.Invariant(
            $"   sync-lag every {run.Options.LagEvery.TotalSeconds:0} s ({run.Monitors.LagRuns} runs so far), drift-detector every {run.Options.DriftEvery.TotalSeconds:0} s ({run.Monitors.DriftRuns} runs so far)"));
    }
}
