namespace CloudShelf.Sync.IntegrationTests.Lag;

/// <summary>A clock that stands still until a test moves it; timestamps (budgets) never advance.</summary>
public sealed class ManualClock(DateTimeOffset now) : TimeProvider
{
    private DateTimeOffset _now = now;

    /// <summary>Moves the clock on.</summary>
    public void Advance(TimeSpan by) => _now += by;

    /// <inheritdoc />
    public override DateTimeOffset GetUtcNow() => _now;

    /// <inheritdoc />
    public override long GetTimestamp() => 0;
}
