namespace CloudShelf.Sync.Backfill;

/// <summary>
/// Keeps the read capacity a backfill consumes under a rate, so that it does not starve Phase 1's
/// own reads: a token bucket that refills at the rate and holds at most one second's worth. A page's
/// cost is known only once DynamoDB has served it, so the page is charged afterwards (the bucket may
/// go into debt) and the next page waits until the debt is paid. The cap is what makes it a rate:
/// idle time (a slow PostgreSQL write, an execution environment waiting for its next invocation)
/// banks at most one second of credit, never a burst the size of the pause.
/// </summary>
internal sealed class CapacityThrottle(TimeProvider time)
{
    /// <summary>The most credit the bucket holds, in seconds of the rate.</summary>
    public static readonly TimeSpan Burst = TimeSpan.FromSeconds(1);

    private readonly Lock _gate = new();
    private long _last = time.GetTimestamp();
    private double? _tokens;

    public Task WaitAsync(double units, double unitsPerSecond, CancellationToken cancellationToken)
    {
        var wait = Consume(units, unitsPerSecond);
        return wait > TimeSpan.Zero ? Task.Delay(wait, time, cancellationToken) : Task.CompletedTask;
    }

    /// <summary>Charges what a page consumed; returns how long to wait before the next page.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The rate is not a positive number, or the units are negative.</exception>
    public TimeSpan Consume(double units, double unitsPerSecond)
    {
        if (!(unitsPerSecond > 0) || double.IsInfinity(unitsPerSecond))
            throw new ArgumentOutOfRangeException(nameof(unitsPerSecond), unitsPerSecond, "The read rate must be a positive number of capacity units per second.");
        ArgumentOutOfRangeException.ThrowIfNegative(units);
        lock (_gate)
        {
            var capacity = unitsPerSecond * Burst.TotalSeconds;
            var now = time.GetTimestamp();
            var refill = time.GetElapsedTime(_last, now).TotalSeconds * unitsPerSecond;
            _last = now;
            // A new bucket starts full: the first page goes at once.
            _tokens = Math.Min(capacity, (_tokens ?? capacity) + refill) - units;
            return _tokens >= 0 ? TimeSpan.Zero : TimeSpan.FromSeconds(-_tokens.Value / unitsPerSecond);
        }
    }
}
