namespace CloudShelf.Sync.Demo;

/// <summary>Writes have stopped: <c>stream run --drain</c> continues from the checkpoints to the end of every shard.</summary>
internal sealed class DrainPhase : IDemoPhase
{
    public string Title => "Drain: stream run --drain from the checkpoints";

    public async Task RunAsync(DemoRun run, CancellationToken cancellationToken)
    {
        var stack = run.Stack;
        // Exit 1 means a batch went to the on-failure destination: the comparison then shows what is missing.
        var stdout = await stack.RunCliAsync("stream-drain", [0, 1], ["stream", "run", "--drain", "--on-failure-dir", stack.OnFailureDirectory], cancellationToken);
        CliReports.AddStreamRun(stdout, stack.Mapping, run.Tallies);
        CliReports.AddMetrics(Path.Combine(stack.LogDirectory, "stream-drain.log"), stack.Mapping, run.Tallies);
        foreach (var line in stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)) run.Output.WriteLine("   " + line);
    }
}
