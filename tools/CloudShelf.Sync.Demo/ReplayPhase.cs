using System.Text.Json;

namespace CloudShelf.Sync.Demo;

/// <summary>
/// <c>quarantine replay --all-open</c>: a record refused only because of ordering (the e-mail handover
/// applied before the change that freed the address, or a backfilled row that met it) applies now or
/// turns out superseded; a genuine defect is refused again and stays. Until stream-sync resolves such
/// conflicts by itself, this is the operator's step.
/// </summary>
internal sealed class ReplayPhase : IDemoPhase
{
    public string Title => "Replay the quarantine once: ordering conflicts resolve, genuine defects stay";

    public async Task RunAsync(DemoRun run, CancellationToken cancellationToken)
    {
        var json = await run.Stack.RunCliAsync("quarantine-replay", [0, 1], ["quarantine", "replay", "--all-open", "--json"], cancellationToken);
        using var document = JsonDocument.Parse(json);
        var r = document.RootElement;
        run.ReplaySummary = $"replayed {r.GetProperty("attempted").GetInt32()}: {r.GetProperty("applied").GetInt32()} applied, " +
                            $"{r.GetProperty("superseded").GetInt32()} superseded, {r.GetProperty("stillQuarantined").GetInt32()} still quarantined, " +
                            $"{r.GetProperty("failed").GetInt32()} failed";
        run.Output.WriteLine("   " + run.ReplaySummary);
    }
}
