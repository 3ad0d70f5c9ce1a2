namespace CloudShelf.Sync.Demo;

/// <summary>One table's figures from one sync-lag run (<c>cloudshelf-sync lag --json</c>).</summary>
/// <param name="At">When the run started.</param>
/// <param name="Table">Target table.</param>
/// <param name="LagSeconds">SyncLagSeconds: how far PostgreSQL is behind the stream.</param>
/// <param name="Unapplied">UnappliedChanges: stream changes not yet in PostgreSQL.</param>
/// <param name="Lost">LostChanges.</param>
internal sealed record LagSample(DateTimeOffset At, string Table, double LagSeconds, long Unapplied, long Lost);
