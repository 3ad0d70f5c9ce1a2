using Amazon.DynamoDBv2.Model;
using Amazon.Runtime;

namespace CloudShelf.Sync.Dynamo;

/// <summary>
/// DynamoDB calls made by runs with a time budget (the backfill, drift detection): throttling is
/// retried with backoff, and the budget's cancellation always surfaces as a cancellation.
/// </summary>
public static class DynamoDbCalls
{
    /// <summary>Tries after the SDK's own throttling retries, before the error ends the run.</summary>
    public const int MaxAttempts = 5;

    /// <summary>
    /// Runs <paramref name="call"/>, retrying throttling (after the SDK's own retries) up to
    /// <see cref="MaxAttempts"/> tries with exponential backoff.
    /// </summary>
    /// <param name="call">The SDK call.</param>
    /// <param name="onThrottled">Told the attempt that was throttled, before the backoff.</param>
    /// <param name="time">The clock for the backoff.</param>
    /// <param name="cancellationToken">The run's budget.</param>
    /// <exception cref="OperationCanceledException">The budget ran out, whatever the SDK threw meanwhile.</exception>
    public static async Task<T> WithThrottlingRetriesAsync<T>(
        Func<CancellationToken, Task<T>> call, Action<int> onThrottled, TimeProvider time, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(call);
        ArgumentNullException.ThrowIfNull(onThrottled);
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await call(cancellationToken);
            }
            catch (Exception e) when (cancellationToken.IsCancellationRequested && e is not OperationCanceledException)
            {
                // AWSSDK.Core 4 can report a cancellation that lands while it reads a response as
                // ArgumentException or ArgumentOutOfRangeException from its JSON reader. The budget
                // decides: a run whose budget is spent stops, it does not fail.
                throw new OperationCanceledException("The DynamoDB call was cancelled by the run's budget.", e, cancellationToken);
            }
            catch (Exception e) when (attempt < MaxAttempts && IsThrottling(e))
            {
                onThrottled(attempt);
                await Task.Delay(TimeSpan.FromMilliseconds(200 * (1 << attempt)), time, cancellationToken);
            }
        }
    }

    /// <summary>Whether <paramref name="e"/> is DynamoDB refusing for capacity rather than for the request.</summary>
    public static bool IsThrottling(Exception e) =>
        e is ProvisionedThroughputExceededException or RequestLimitExceededException
            or AmazonServiceException { StatusCode: System.Net.HttpStatusCode.ServiceUnavailable };
}
