namespace CloudShelf.Sync.Demo;

/// <summary>
/// The schedules stop (the template's ScheduleState for the cut-over window) and one full
/// drift-detector pass runs with nothing in flight: the cut-over check's drift needs a complete pass
/// with no open finding.
/// </summary>
internal sealed class FinalDriftPhase : IDemoPhase
{
    public string Title => "Final drift pass: every item compared with its row";

    public async Task RunAsync(DemoRun run, CancellationToken cancellationToken)
    {
        if (run.Monitors is { } monitors)
        {
            await monitors.StopAsync();
            run.Output.WriteLine($"   schedules stopped after {monitors.LagRuns} sync-lag and {monitors.DriftRuns} drift-detector run(s)");
            foreach (var failure in monitors.Failures) run.Output.WriteLine("   scheduled run failed: " + failure);
        }
        var at = run.Time.GetUtcNow();
        var json = await run.Stack.RunCliAsync("drift-final", [0, 1], ["drift", "--json", "--segments", "2"], cancellationToken);
        run.FinalDrift.AddRange(ScheduledMonitors.ParseDrift(at, json));
        foreach (var d in run.FinalDrift)
            run.Output.WriteLine($"   {d.Table}: {d.Compared} compared, {d.OpenDrift} open drift, {d.InFlight} in flight{(d.FullCoverage ? ", pass complete" : "")}");
    }
}
