using System.Text.Json;
using CloudShelf.Sync.Observability;
using CloudShelf.Sync.Streams;

namespace CloudShelf.Sync.Cli.LocalMapping;

/// <summary>
/// Delivers one batch with Lambda's semantics for a stream event source:
/// <list type="bullet">
/// <item>a partial batch response (ReportBatchItemFailures) checkpoints before the lowest failed
/// sequence number and retries from it; an empty or null identifier, or one not in the batch, fails the whole batch;</item>
/// <item>a function error (exception, error posted, unreadable response) retries the batch, split in
/// two first when BisectBatchOnFunctionError is on (splitting does not use up retries);</item>
/// <item>MaximumRetryAttempts (-1: until the record age runs out) and MaximumRecordAgeInSeconds send
/// what is left to the on-failure destination, and the mapping moves on.</item>
/// </list>
/// </summary>
internal sealed class BatchDelivery(
    LocalMappingOptions options, IBatchInvoker invoker, OnFailureDestination onFailure, ILog log, TimeProvider time)
{
    private static readonly TimeSpan MaxBackoff = TimeSpan.FromSeconds(1);

    /// <summary>
    /// Delivers the batch; <paramref name="handled"/> is called for every part once it is applied or
    /// sent to the on-failure destination. After <paramref name="stopping"/> no new attempt starts: what is
    /// not handled then stays unhandled (and is read again by the next run).
    /// </summary>
    public async Task DeliverAsync(string streamArn, string shardId, IReadOnlyList<DynamoDBStreamRecord> batch, StreamCounters counters,
        Func<IReadOnlyList<DynamoDBStreamRecord>, Task> handled, CancellationToken stopping)
    {
        var work = new LinkedList<Attempt>();
        work.AddFirst(new Attempt([.. batch], 0, null));
        while (work.First is { } node)
        {
            work.RemoveFirst();
            var (records, retries, lastError) = node.Value;

            var expired = ExpiredPrefix(records);
            if (expired > 0)
            {
                await DiscardAsync(streamArn, shardId, records[..expired], OnFailureDestination.RecordAgeExceeded, retries, lastError, counters, handled);
                records = records[expired..];
                if (records.Count == 0) continue;
            }
            if (stopping.IsCancellationRequested) return;

            InvocationOutcome outcome;
            try
            {
                // An invocation in flight is finished even when stopping (Ctrl-C waits for it, at most the
                // function timeout); one still waiting for an execution environment is not started.
                outcome = await invoker.InvokeAsync(Event(records), stopping);
            }
            catch (OperationCanceledException) when (stopping.IsCancellationRequested)
            {
                return;
            }
            counters.Invoked();
            var failedFrom = FailedFrom(records, outcome);
            if (failedFrom == records.Count)
            {
                counters.Delivered(records.Count);
                await handled(records);
                continue;
            }

            var error = outcome.FunctionError ?? "batchItemFailures";
            if (failedFrom > 0)
            {
                counters.PartialFailure();
                counters.Delivered(failedFrom);
                await handled(records[..failedFrom]);
                records = records[failedFrom..];
            }
            else if (outcome.FunctionError is not null)
            {
                counters.FunctionError();
                log.Warn("stream-sync invocation failed", new LogField("shard_id", shardId), new LogField("records", records.Count),
                    new LogField("error", outcome.FunctionError));
            }
            else
            {
                counters.PartialFailure();
            }

            // A function error on several records is split first: only the halves are retried.
            if (outcome.FunctionError is not null && options.BisectOnError && records.Count > 1)
            {
                counters.Bisected();
                var half = records.Count / 2;
                work.AddFirst(new Attempt(records[half..], retries, error));
                work.AddFirst(new Attempt(records[..half], retries, error));
                continue;
            }

            if (options.MaximumRetries >= 0 && retries >= options.MaximumRetries)
            {
                await DiscardAsync(streamArn, shardId, records, OnFailureDestination.RetryAttemptsExhausted, retries + 1, error, counters, handled);
                continue;
            }

            await Backoff(retries, stopping);
            work.AddFirst(new Attempt(records, retries + 1, error));
        }
    }

    /// <summary>How many records, from the start, the response says were applied: all of them on success.</summary>
    internal static int FailedFrom(List<DynamoDBStreamRecord> records, InvocationOutcome outcome)
    {
        if (outcome.Response is not { } response) return 0;
        var failures = response.BatchItemFailures;
        if (failures is null || failures.Count == 0) return records.Count;
        var lowest = records.Count;
        foreach (var failure in failures)
        {
            if (string.IsNullOrEmpty(failure?.ItemIdentifier)) return 0;
            var index = records.FindIndex(r => r.Dynamodb?.SequenceNumber == failure.ItemIdentifier);
            // An identifier that names no record of the batch: Lambda fails the whole batch.
            if (index < 0) return 0;
            lowest = Math.Min(lowest, index);
        }
        return lowest;
    }

    private int ExpiredPrefix(List<DynamoDBStreamRecord> records)
    {
        if (options.MaximumRecordAge is not { } maximum) return 0;
        var now = time.GetUtcNow();
        var count = 0;
        while (count < records.Count && records[count].Dynamodb?.ApproximateCreationDateTime is { } created && now - created > maximum) count++;
        return count;
    }

    private async Task DiscardAsync(string streamArn, string shardId, List<DynamoDBStreamRecord> records, string condition, int invokeCount,
        string? error, StreamCounters counters, Func<IReadOnlyList<DynamoDBStreamRecord>, Task> handled)
    {
        var path = await onFailure.WriteAsync(streamArn, shardId, records, condition, invokeCount, error, CancellationToken.None);
        counters.ToOnFailure(records.Count);
        log.Error("Batch sent to the on-failure destination", new LogField("shard_id", shardId), new LogField("condition", condition),
            new LogField("records", records.Count), new LogField("first_sequence_number", records[0].Dynamodb?.SequenceNumber),
            new LogField("path", path));
        await handled(records);
    }

    private async Task Backoff(int retries, CancellationToken stopping)
    {
        var delay = TimeSpan.FromMilliseconds(Math.Min(MaxBackoff.TotalMilliseconds, 25 * Math.Pow(2, Math.Min(retries, 10))));
        try
        {
            await Task.Delay(delay, time, stopping);
        }
        catch (OperationCanceledException)
        {
            // Stopping: the next loop turn sees it and leaves the records unhandled.
        }
    }

    private static byte[] Event(List<DynamoDBStreamRecord> records) =>
        JsonSerializer.SerializeToUtf8Bytes(new DynamoDBEvent { Records = records }, StreamJsonContext.Default.DynamoDBEvent);

    private sealed record Attempt(List<DynamoDBStreamRecord> Records, int Retries, string? LastError);
}
