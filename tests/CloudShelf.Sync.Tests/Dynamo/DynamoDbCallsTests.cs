using Amazon.DynamoDBv2.Model;
using CloudShelf.Sync.Dynamo;

namespace CloudShelf.Sync.Tests.Dynamo;

public sealed class DynamoDbCallsTests
{
    // Regression: the SDK threw ArgumentOutOfRangeException from its JSON reader when the backfill's
    // budget ran out mid-response, and the backfill function failed instead of returning its checkpoint.
    [Fact]
    public async Task An_error_the_SDK_throws_after_the_budget_ran_out_is_a_cancellation()
    {
        using var budget = new CancellationTokenSource();
        var cause = new ArgumentOutOfRangeException("index");
        var thrown = await Assert.ThrowsAnyAsync<OperationCanceledException>(() => DynamoDbCalls.WithThrottlingRetriesAsync<int>(
            _ => { budget.Cancel(); throw cause; }, _ => { }, TimeProvider.System, budget.Token));
        Assert.Same(cause, thrown.InnerException);
        Assert.Equal(budget.Token, thrown.CancellationToken);
    }

    [Fact]
    public async Task An_error_within_the_budget_is_the_error()
    {
        using var budget = new CancellationTokenSource();
        var calls = 0;
        await Assert.ThrowsAsync<ArgumentException>(() => DynamoDbCalls.WithThrottlingRetriesAsync<int>(
            _ => { calls++; throw new ArgumentException("bad request"); }, _ => { }, TimeProvider.System, budget.Token));
        Assert.Equal(1, calls);
    }

    [Fact]
    public async Task Throttling_is_retried_until_the_attempts_run_out()
    {
        var throttled = new List<int>();
        var calls = 0;
        await Assert.ThrowsAsync<ProvisionedThroughputExceededException>(() => DynamoDbCalls.WithThrottlingRetriesAsync<int>(
            _ => { calls++; throw new ProvisionedThroughputExceededException("slow down"); }, throttled.Add, new InstantTime(), CancellationToken.None));
        Assert.Equal(DynamoDbCalls.MaxAttempts, calls);
        Assert.Equal([1, 2, 3, 4], throttled);
    }

    [Fact]
    public async Task A_call_that_succeeds_after_throttling_returns_its_result()
    {
        var calls = 0;
        var result = await DynamoDbCalls.WithThrottlingRetriesAsync(
            _ => ++calls < 3 ? throw new RequestLimitExceededException("limit") : Task.FromResult(42), _ => { }, new InstantTime(), CancellationToken.None);
        Assert.Equal(42, result);
        Assert.Equal(3, calls);
    }

    /// <summary>A clock whose timers fire at once, so backoff costs no test time.</summary>
    private sealed class InstantTime : TimeProvider
    {
        public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period) =>
            base.CreateTimer(callback, state, TimeSpan.Zero, Timeout.InfiniteTimeSpan);
    }
}
