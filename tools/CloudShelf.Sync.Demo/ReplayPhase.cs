using System.Text.Json;

namespace CloudShelf.Sync.Demo;

/// <summary>
/// <c>quarantine replay --all-open</c>: a record refused only because of ordering (the e-mail handover
/// applied before the change that freed the address, or a backfilled row that met it) applies now or
/// turns out superseded; a genuine defect is refused again and stays. Then <c>quarantine list</c>:
/// what is left are the genuine defects, with their reasons.
/// </summary>
internal sealed class ReplayPhase : IDemoPhase
{
    public string Title => "Replay the quarantine: ordering conflicts resolve, genuine defects stay";

    public async Task RunAsync(DemoRun run, CancellationToken cancellationToken)
    {
        run.ReplaySummary = await ReplayAsync(run, "quarantine-replay", cancellationToken);
        run.Output.WriteLine("   " + run.ReplaySummary);
        run.QuarantineFound.AddRange(await ListAsync(run, "quarantine-list", cancellationToken));
        foreach (var q in run.QuarantineFound)
            run.Output.WriteLine($"   open: #{q.Id} {q.Table} {q.Key} {q.EventName} [{q.ErrorCode}] {q.Reason}");
    }

    public static async Task<string> ReplayAsync(DemoRun run, string logName, CancellationToken cancellationToken)
    {
        var json = await run.Stack.RunCliAsync(logName, [0, 1], ["quarantine", "replay", "--all-open", "--json"], cancellationToken);
        using var document = JsonDocument.Parse(json);
        var r = document.RootElement;
        return $"replayed {r.GetProperty("attempted").GetInt32()}: {r.GetProperty("applied").GetInt32()} applied, " +
               $"{r.GetProperty("superseded").GetInt32()} superseded, {r.GetProperty("stillQuarantined").GetInt32()} still quarantined, " +
               $"{r.GetProperty("failed").GetInt32()} failed";
    }

    public static async Task<List<QuarantineEntry>> ListAsync(DemoRun run, string logName, CancellationToken cancellationToken) =>
        CliReports.ParseQuarantine(await run.Stack.RunCliAsync(logName, [0], ["quarantine", "list", "--json"], cancellationToken));
}
