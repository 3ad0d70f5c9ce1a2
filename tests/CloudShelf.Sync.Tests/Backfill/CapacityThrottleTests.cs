using CloudShelf.Sync.Backfill;

namespace CloudShelf.Sync.Tests.Backfill;

public sealed class CapacityThrottleTests
{
    private sealed class ManualClock : TimeProvider
    {
        public long Ticks { get; private set; }

        public override long TimestampFrequency => TimeSpan.TicksPerSecond;

        public override long GetTimestamp() => Ticks;

        public void Advance(TimeSpan by) => Ticks += by.Ticks;
    }

    [Fact]
    public void The_first_page_within_one_seconds_worth_goes_at_once()
    {
        var throttle = new CapacityThrottle(new ManualClock());

        Assert.Equal(TimeSpan.Zero, throttle.Consume(100, 100));
    }

    [Fact]
    public void Consumption_beyond_the_credit_waits_for_the_time_the_debt_takes_at_the_rate()
    {
        var clock = new ManualClock();
        var throttle = new CapacityThrottle(clock);

        // 100 units of credit, 250 consumed: 150 owed at 100 units/s.
        Assert.Equal(TimeSpan.FromSeconds(1.5), throttle.Consume(250, 100));
    }

    [Fact]
    public void Consumption_accumulates_across_pages()
    {
        var clock = new ManualClock();
        var throttle = new CapacityThrottle(clock);

        Assert.Equal(TimeSpan.Zero, throttle.Consume(100, 100));
        Assert.Equal(TimeSpan.FromSeconds(1), throttle.Consume(100, 100));
    }

    [Fact]
    public void Idle_time_banks_at_most_one_second_of_credit()
    {
        // Regression: the throttle measured everything against its start, so an hour of idling
        // let the next 360,000 units go at once.
        var clock = new ManualClock();
        var throttle = new CapacityThrottle(clock);
        throttle.Consume(100, 100);

        clock.Advance(TimeSpan.FromHours(1));

        Assert.Equal(TimeSpan.FromSeconds(9), throttle.Consume(1000, 100));
    }

    [Fact]
    public void A_wait_served_pays_the_debt_and_the_rate_holds_page_after_page()
    {
        var clock = new ManualClock();
        var throttle = new CapacityThrottle(clock);
        var consumed = 0.0;

        for (var page = 0; page < 50; page++)
        {
            consumed += 40;
            clock.Advance(throttle.Consume(40, 100) + TimeSpan.FromMilliseconds(10));
        }

        // Over the run, the rate plus at most the one second of credit it started with.
        var seconds = TimeSpan.FromTicks(clock.Ticks).TotalSeconds;
        Assert.InRange(consumed, 0, 100 * seconds + 100);
        Assert.True(consumed >= 100 * seconds - 100, $"{consumed} units in {seconds} s is far below the rate.");
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-5)]
    [InlineData(double.NaN)]
    [InlineData(double.PositiveInfinity)]
    public void A_rate_that_is_not_a_positive_number_is_refused(double rate)
    {
        var throttle = new CapacityThrottle(new ManualClock());

        var error = Assert.Throws<ArgumentOutOfRangeException>(() => throttle.Consume(1, rate));

        Assert.Contains("read rate", error.Message, StringComparison.Ordinal);
    }
}
