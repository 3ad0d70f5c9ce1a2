using CloudShelf.Sync.Backfill;

namespace CloudShelf.Sync.Drift;

/// <summary>The backfill's capacity throttle behind <see cref="IReadCapacityLimiter"/>, so that drift reads obey the same rule.</summary>
public sealed class BackfillCapacityLimiter : IReadCapacityLimiter
{
    private readonly CapacityThrottle _throttle;
    private readonly double _unitsPerSecond;

    /// <summary>A limiter of <paramref name="unitsPerSecond"/> read capacity units per second.</summary>
    public BackfillCapacityLimiter(double unitsPerSecond, TimeProvider time)
    {
        if (!(unitsPerSecond > 0)) throw new ArgumentOutOfRangeException(nameof(unitsPerSecond), "The read rate must be positive.");
        _throttle = new CapacityThrottle(time);
        _unitsPerSecond = unitsPerSecond;
    }

    /// <inheritdoc />
    public Task WaitAsync(double units, CancellationToken cancellationToken) => _throttle.WaitAsync(units, _unitsPerSecond, cancellationToken);
}
