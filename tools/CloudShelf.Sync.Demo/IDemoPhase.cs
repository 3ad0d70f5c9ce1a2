namespace CloudShelf.Sync.Demo;

/// <summary>One step of the migration as the demo plays it; the phases run in the order of <see cref="DemoRun.Phases"/>.</summary>
internal interface IDemoPhase
{
    /// <summary>What the phase does, printed as it starts.</summary>
    string Title { get; }

    Task RunAsync(DemoRun run, CancellationToken cancellationToken);
}
