namespace CloudShelf.Sync.Cutover;

/// <summary>The cut-over gate's answer: every check in the order run, and the verdict.</summary>
/// <param name="Checks">The checks, in the order they ran.</param>
/// <param name="CouldNotRun">Why the gate could not measure (a store unreachable); null when it could.</param>
public sealed record CutoverReport(IReadOnlyList<GateCheck> Checks, string? CouldNotRun)
{
    /// <summary>GO: the gate could run and every check passed.</summary>
    public bool Go => CouldNotRun is null && Checks.Count > 0 && Checks.All(c => c.Ok);

    /// <summary><c>GO</c> or <c>NO-GO</c>.</summary>
    public string Verdict => Go ? "GO" : "NO-GO";
}
