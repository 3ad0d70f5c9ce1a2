using System.Diagnostics;

namespace CloudShelf.Sync.Demo;

/// <summary>The state one demo run builds up as its phases go, and the phases themselves.</summary>
internal sealed class DemoRun(DemoOptions options, DemoStack stack, TextWriter output) : IAsyncDisposable
{
    /// <summary>The migration guide's phases, in order.</summary>
    public static IReadOnlyList<IDemoPhase> Phases { get; } =
    [
        new StartStackPhase(),
        new CreateTablesPhase(),
        new SeedPhase(),
        new LiveMigrationPhase(),
        new FreezePhase(),
        new ReplayPhase(),
        new ResolveDefectsPhase(),
        new FinalDriftPhase(),
        new CutoverPhase(),
        new VerifyPhase(),
    ];

    public DemoOptions Options { get; } = options;

    public DemoStack Stack { get; } = stack;

    public TextWriter Output { get; } = output;

    public TimeProvider Time { get; } = TimeProvider.System;

    public Catalogue Catalogue { get; set; } = null!;

    public WriteLog Writes { get; } = new();

    /// <summary>Per target table (books, users, orders).</summary>
    public Dictionary<string, TableTally> Tallies { get; } = new(StringComparer.Ordinal)
    {
        ["books"] = new(), ["users"] = new(), ["orders"] = new(),
    };

    /// <summary>When the live phase began: time zero of the charts.</summary>
    public DateTimeOffset LiveStarted { get; set; }

    /// <summary>The local event source mapping (<c>stream run --bootstrap</c>), from the live phase to the cut-over.</summary>
    public CliProcess? StreamRun { get; set; }

    /// <summary>sync-lag and drift-detector on their schedules, from the live phase to the cut-over.</summary>
    public ScheduledMonitors? Monitors { get; set; }

    /// <summary>Marks on the charts' time axis.</summary>
    public List<DemoEvent> Events { get; } = [];

    public string ReplaySummary { get; set; } = "";

    /// <summary>What the quarantine held after the replay of ordering conflicts: the genuine defects, with their reasons.</summary>
    public List<QuarantineEntry> QuarantineFound { get; } = [];

    /// <summary>The operator's resolution of each genuine defect, one line each.</summary>
    public List<string> Resolutions { get; } = [];

    public string ResolutionReplaySummary { get; set; } = "";

    /// <summary>The final full drift pass, per table.</summary>
    public List<DriftSample> FinalDrift { get; } = [];

    public List<CutoverCheck> CutoverChecks { get; } = [];

    /// <summary><c>GO</c> or <c>NO-GO</c>; empty until the check ran.</summary>
    public string Verdict { get; set; } = "";

    public string? CutoverCouldNotRun { get; set; }

    /// <summary>stream-sync's RecordsApplied per EMF document of the mapping's log.</summary>
    public List<ThroughputSample> Throughput { get; } = [];

    /// <summary>Wall time of each phase, by title.</summary>
    public List<(string Phase, TimeSpan Elapsed)> Timings { get; } = [];

    /// <summary>Set by the verification: GO, and PostgreSQL equal to DynamoDB.</summary>
    public bool Passed { get; set; }

    public async Task<bool> RunAsync(CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        foreach (var phase in Phases)
        {
            Output.WriteLine($"== {phase.Title}");
            var phaseStarted = Stopwatch.GetTimestamp();
            await phase.RunAsync(this, cancellationToken);
            Timings.Add((phase.Title, Stopwatch.GetElapsedTime(phaseStarted)));
        }
        Output.WriteLine(FormattableString.Invariant($"demo {(Passed ? "PASSED" : "FAILED")} in {Stopwatch.GetElapsedTime(started).TotalSeconds:F1} s"));
        return Passed;
    }

    /// <summary>Stops what a failed or cancelled run left running: the schedules, then the mapping (and its bootstraps).</summary>
    public async ValueTask DisposeAsync()
    {
        try
        {
            if (Monitors is not null) await Monitors.DisposeAsync();
        }
        finally
        {
            if (StreamRun is not null) await StreamRun.DisposeAsync();
        }
    }
}
