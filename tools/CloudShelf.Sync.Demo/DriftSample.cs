namespace CloudShelf.Sync.Demo;

/// <summary>One table's figures from one drift-detector run (<c>cloudshelf-sync drift --json</c>).</summary>
/// <param name="At">When the run started.</param>
/// <param name="Table">Target table.</param>
/// <param name="Compared">Items compared by the run.</param>
/// <param name="OpenDrift">Open findings after the run (in-flight ones are not counted).</param>
/// <param name="InFlight">Differences that a change still in the stream explains.</param>
/// <param name="FullCoverage">Whether the run completed a full pass.</param>
internal sealed record DriftSample(DateTimeOffset At, string Table, long Compared, long OpenDrift, long InFlight, bool FullCoverage);
