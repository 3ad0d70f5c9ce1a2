using System.Diagnostics;

namespace CloudShelf.Sync.Demo;

/// <summary>
/// The race the migration must win: the backfill scans the seeded items while Phase 1 keeps writing
/// and <c>stream run</c> carries every change to PostgreSQL. A backfilled row must never overwrite a
/// newer streamed one, nor bring back a deleted item.
/// </summary>
internal sealed class LiveMigrationPhase : IDemoPhase
{
    private static readonly TimeSpan StopGrace = TimeSpan.FromSeconds(60);

    public string Title => "Live: Phase 1 traffic, backfill and stream run at the same time";

    public async Task RunAsync(DemoRun run, CancellationToken cancellationToken)
    {
        var stack = run.Stack;
        await using var stream = stack.StartCli("stream-live", "stream", "run", "--on-failure-dir", stack.OnFailureDirectory);
        await using var backfill = stack.StartCli("backfill", "backfill", "--segments", run.Options.Segments.ToString(System.Globalization.CultureInfo.InvariantCulture));
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

        // Ctrl-C, as an operator would: the mapping finishes its batches in flight and keeps its checkpoints.
        var streamCode = await stream.InterruptAsync(StopGrace, cancellationToken);
        CliReports.AddBackfill(backfill.Stdout, stack.Mapping, run.Tallies);
        CliReports.AddStreamRun(stream.Stdout, stack.Mapping, run.Tallies);
        CliReports.AddMetrics(Path.Combine(stack.LogDirectory, "stream-live.log"), stack.Mapping, run.Tallies);

        run.Output.WriteLine(FormattableString.Invariant($"   backfill finished after {backfillDone.TotalSeconds:F1} s: {backfill.Stdout.Trim().Split('\n')[^1].Trim()}"));
        run.Output.WriteLine(FormattableString.Invariant(
            $"   traffic: {run.Writes.Total} writes in {generator.Elapsed.TotalSeconds:F1} s ({string.Join(", ", run.Writes.Counts.OrderByDescending(c => c.Value).Select(c => $"{c.Value} {c.Key}"))})"));
        run.Output.WriteLine($"   stream run stopped with SIGINT (exit {streamCode}) after the traffic");
    }
}
