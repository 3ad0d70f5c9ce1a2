using CloudShelf.Sync.Backfill;

namespace CloudShelf.Sync.Tests.Backfill;

public sealed class CapacityThrottleTests
{
    private sealed class ManualClock : TimeProvider
    {
        public long Ticks { get; set; }

        public override long TimestampFrequency => TimeSpan.TicksPerSecond;

        public override long GetTimestamp() => Ticks;
    }

    [Fact]
    public void Consumption_beyond_the_rate_waits_for_the_time_it_takes_at_that_rate()
    {
        var clock = new ManualClock();
        var throttle = new CapacityThrottle(clock);

        // 250 units at 100 units/s take 2.5 s; 1 s has passed.
        clock.Ticks = TimeSpan.FromSeconds(1).Ticks;
        var wait = throttle.Consume(250, 100);

        Assert.Equal(TimeSpan.FromSeconds(1.5), wait);
    }

    [Fact]
    public void Consumption_within_the_rate_does_not_wait()
    {
        var clock = new ManualClock();
        var throttle = new CapacityThrottle(clock);
        clock.Ticks = TimeSpan.FromSeconds(10).Ticks;

        Assert.True(throttle.Consume(50, 100) <= TimeSpan.Zero);
    }

    [Fact]
    public void Consumption_accumulates_across_pages()
    {
        var clock = new ManualClock();
        var throttle = new CapacityThrottle(clock);

        throttle.Consume(100, 100);
        var wait = throttle.Consume(100, 100);

        Assert.Equal(TimeSpan.FromSeconds(2), wait);
    }
}
