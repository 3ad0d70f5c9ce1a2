using System.Text.Json;

namespace CloudShelf.Sync.Demo;

/// <summary>
/// <c>cutover-check --final --json</c> with the writes frozen: the verdict, and every check with its
/// value. Then the mapping is stopped as an operator would (SIGTERM, which the CLI takes as Ctrl-C: the
/// batches in flight finish and the checkpoints stay) and its report and the bootstrap's metrics are read.
/// </summary>
internal sealed class CutoverPhase : IDemoPhase
{
    // A batch in flight may take up to the function timeout (stream run's default, template.yaml's 60 s).
    private static readonly TimeSpan StopGrace = TimeSpan.FromSeconds(90);

    public string Title => "Cut-over: cutover-check --final, the verdict";

    public async Task RunAsync(DemoRun run, CancellationToken cancellationToken)
    {
        var stack = run.Stack;
        run.Events.Add(new DemoEvent(run.Time.GetUtcNow(), "final check"));
        // Exit 1 is NO-GO and 2 could not run: both are verdicts to report, not a broken demo.
        var json = await stack.RunCliAsync("cutover-check", [0, 1, 2], ["cutover-check", "--final", "--timeout", "120", "--json"], cancellationToken);
        using (var document = JsonDocument.Parse(json))
        {
            var root = document.RootElement;
            run.Verdict = root.GetProperty("verdict").GetString() ?? "?";
            run.CutoverCouldNotRun = root.GetProperty("could_not_run").ValueKind == JsonValueKind.String ? root.GetProperty("could_not_run").GetString() : null;
            foreach (var c in root.GetProperty("checks").EnumerateArray())
            {
                run.CutoverChecks.Add(new CutoverCheck(c.GetProperty("name").GetString() ?? "?", c.GetProperty("value").GetString() ?? "",
                    c.GetProperty("threshold").GetString() ?? "", c.GetProperty("ok").GetBoolean()));
            }
        }
        var width = run.CutoverChecks.Count == 0 ? 0 : run.CutoverChecks.Max(c => c.Name.Length);
        foreach (var c in run.CutoverChecks) run.Output.WriteLine($"   {(c.Ok ? "ok  " : "FAIL")}  {c.Name.PadRight(width)}  {c.Value}");
        run.Output.WriteLine($"   verdict: {run.Verdict}{(run.CutoverCouldNotRun is { } why ? $" (could not run: {why})" : "")}");

        var streamRun = run.StreamRun ?? throw new InvalidOperationException("stream run is not running.");
        var code = await streamRun.StopAsync(StopGrace, cancellationToken);
        run.Output.WriteLine($"   stream run stopped with SIGTERM (exit {code}):");
        foreach (var line in streamRun.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)) run.Output.WriteLine("   " + line);
        var log = Path.Combine(stack.LogDirectory, "stream-live.log");
        CliReports.AddStreamRun(streamRun.Stdout, stack.Mapping, run.Tallies);
        CliReports.AddMetrics(log, stack.Mapping, run.Tallies);
        run.Throughput.AddRange(CliReports.ReadThroughput(log, stack.Mapping));
    }
}
