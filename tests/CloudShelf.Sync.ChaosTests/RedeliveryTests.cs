using System.Collections.Concurrent;
using CloudShelf.Sync.ChaosTests.Harness;
using CloudShelf.Sync.Cli.LocalMapping;
using CloudShelf.Sync.Streams;
using Xunit.Abstractions;

namespace CloudShelf.Sync.ChaosTests;

/// <summary>
/// Scenario 4: batches delivered again. A batch applied for real is reported as failed (its response
/// lost, a function error after the commit, or a partial failure from its middle), so the mapping
/// redelivers it, bisected or from the failed record; and batches already applied are sent again later,
/// after newer ones, as a stale duplicate.
/// </summary>
[Collection(ChaosCollection.Name)]
public sealed class RedeliveryTests(ChaosServers servers, ITestOutputHelper output)
{
    [Fact]
    public async Task Batches_redelivered_after_they_were_applied_and_stale_duplicates_change_nothing()
    {
        await using var stack = await ChaosStack.CreateAsync(servers, "redelivery");
        await using var invoker = new ObservedInvoker(stack.InProcess());
        var seen = new ConcurrentDictionary<string, int>(StringComparer.Ordinal);
        var applied = new ConcurrentQueue<byte[]>();
        int lostResponses = 0, partials = 0, stale = 0;
        invoker.Before = async invocation =>
        {
            // Every third invocation is preceded by an older batch delivered once more.
            if (invoker.Invocations % 3 == 0 && applied.TryPeek(out _))
            {
                var old = applied.ElementAt(invoker.Invocations % applied.Count);
                await invoker.Real.InvokeAsync(old, CancellationToken.None);
                Interlocked.Increment(ref stale);
            }
            return null;
        };
        invoker.After = (invocation, outcome) =>
        {
            if (outcome.Response is not { BatchItemFailures.Count: 0 }) return Task.FromResult(outcome);
            applied.Enqueue(invocation.Json);
            // A batch's first delivery only: the retry of a redelivered batch goes through.
            var first = seen.TryAdd(invocation.Signature, 0);
            if (first && seen.Count % 2 == 0)
            {
                Interlocked.Increment(ref lostResponses);
                return Task.FromResult(InvocationOutcome.Failed("injected: the function's response was lost after it committed"));
            }
            if (first && seen.Count % 5 == 0 && invocation.Event.Records.Count > 1)
            {
                Interlocked.Increment(ref partials);
                var middle = invocation.Event.Records[invocation.Event.Records.Count / 2].Dynamodb!.SequenceNumber;
                return Task.FromResult(InvocationOutcome.Answered(new StreamsEventResponse { BatchItemFailures = [new() { ItemIdentifier = middle }] }));
            }
            return Task.FromResult(outcome);
        };
        var mapping = stack.StartMapping(invoker);
        var traffic = new Traffic(stack, seed: 4);

        await traffic.RunAsync(operations: 180, pause: TimeSpan.FromMilliseconds(10));
        mapping.AssertRunning();
        var summary = await mapping.StopAsync();
        await stack.DrainAsync(invoker);

        output.WriteLine($"{traffic.Writes} writes; {invoker.Invocations} invocations; {lostResponses} responses lost, {partials} partial failures, "
            + $"{stale} stale duplicates, {summary.Streams.Sum(s => s.Bisections)} bisections; log {stack.LogFile}");
        Assert.True(lostResponses > 0 && stale > 0, "no batch was delivered again");
        await stack.AssertEndStateAsync();
    }
}
