using System.Diagnostics;

namespace CloudShelf.Sync.Demo;

/// <summary>The state one demo run builds up as its phases go, and the phases themselves.</summary>
internal sealed class DemoRun(DemoOptions options, DemoStack stack, TextWriter output)
{
    /// <summary>
    /// The migration guide's phases as far as this build can play them. The next ones plug in after
    /// the drain and before the verdict: sync-lag on its schedule during the live phase, drift
    /// detection after the drain, then the cut-over (freeze writes, <c>cutover-check --final</c>).
    /// </summary>
    public static IReadOnlyList<IDemoPhase> Phases { get; } =
    [
        new StartStackPhase(),
        new CreateTablesPhase(),
        new SeedPhase(),
        new LiveMigrationPhase(),
        new DrainPhase(),
        new ReplayPhase(),
        // Lag, drift and cut-over phases go here.
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

    public string ReplaySummary { get; set; } = "";

    /// <summary>Wall time of each phase, by title.</summary>
    public List<(string Phase, TimeSpan Elapsed)> Timings { get; } = [];

    /// <summary>Set by the verification: whether PostgreSQL equals DynamoDB apart from the quarantined defects.</summary>
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
}
