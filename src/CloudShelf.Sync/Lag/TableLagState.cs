namespace CloudShelf.Sync.Lag;

/// <summary>What PostgreSQL says about one table's pending changes after a settle.</summary>
/// <param name="Unapplied">Changes read from the stream and not yet in PostgreSQL.</param>
/// <param name="OldestUnapplied">ApproximateCreationDateTime of the oldest of them, or null when there are none.</param>
/// <param name="Lost">Changes the mapping passed over that are quarantined and not yet replayed.</param>
/// <param name="NewlyLost">Of those, how many this settle quarantined.</param>
public sealed record TableLagState(long Unapplied, DateTimeOffset? OldestUnapplied, long Lost, int NewlyLost);
