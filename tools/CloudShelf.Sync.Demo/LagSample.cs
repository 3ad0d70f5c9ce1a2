namespace CloudShelf.Sync.Demo;

/// <summary>One table's figures from one sync-lag run (<c>cloudshelf-sync lag --json</c>).</summary>
/// <param name="At">When the run started (a run that started after a moment saw everything written before it).</param>
/// <param name="Finished">When it ended, which is when it took its reading: the charts' time.</param>
/// <param name="Table">Target table.</param>
/// <param name="LagSeconds">SyncLagSeconds: how far PostgreSQL is behind the stream.</param>
/// <param name="Unapplied">UnappliedChanges: stream changes not yet in PostgreSQL.</param>
/// <param name="Lost">LostChanges.</param>
internal sealed record LagSample(DateTimeOffset At, DateTimeOffset Finished, string Table, double LagSeconds, long Unapplied, long Lost);
