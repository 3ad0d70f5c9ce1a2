using CloudShelf.Sync.ChaosTests.Harness;
using CloudShelf.Sync.Cli.LocalMapping;
using CloudShelf.Sync.Streams;
using Xunit.Abstractions;
using static CloudShelf.Sync.Testing.Items;

namespace CloudShelf.Sync.ChaosTests;

/// <summary>
/// Scenario 5: ParallelizationFactor 10, so one shard's records run in ten concurrent batches, and an
/// e-mail address handed from one user to another whose two changes fall into different batches, the
/// taker's applied first.
/// </summary>
[Collection(ChaosCollection.Name)]
public sealed class ReorderingTests(ChaosServers servers, ITestOutputHelper output)
{
    private const string Address = "handover@example.com";

    [Fact]
    public async Task An_email_handed_over_across_concurrent_batches_taker_first_ends_applied_not_quarantined()
    {
        await using var stack = await ChaosStack.CreateAsync(servers, "reordering");
        var (giver, taker) = UsersInDifferentLanes(10);
        await stack.PutAsync(stack.Users, User(giver, Address));
        await stack.PutAsync(stack.Users, User(taker, "taker@example.com"));
        await using var invoker = new ObservedInvoker(stack.InProcess());
        var takerApplied = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var giverHeld = 0;
        // The giver's release waits until the taker's claim has been through stream-sync: the taker lands first.
        invoker.Before = async invocation =>
        {
            if (invocation.HasNewValue(giver, "email", "giver-new@example.com"))
            {
                Interlocked.Increment(ref giverHeld);
                await takerApplied.Task.WaitAsync(Eventually.DefaultTimeout);
            }
            return null;
        };
        invoker.After = (invocation, outcome) =>
        {
            if (invocation.HasNewValue(taker, "email", Address) && outcome.Response is { BatchItemFailures.Count: 0 }) takerApplied.TrySetResult();
            return Task.FromResult(outcome);
        };
        var mapping = stack.StartMapping(invoker, stack.MappingOptions(parallelization: 10));
        await Eventually.WaitAsync(() => stack.HasRowAsync("users", giver, "email", Address), "the giver to hold the address in PostgreSQL");
        var traffic = new Traffic(stack, seed: 5);
        var writing = traffic.RunAsync(operations: 150, pause: TimeSpan.FromMilliseconds(10));

        await stack.PutAsync(stack.Users, User(giver, "giver-new@example.com"));
        await stack.PutAsync(stack.Users, User(taker, Address));
        await writing;
        await Eventually.WaitAsync(() => stack.HasRowAsync("users", taker, "email", Address), "the taker to hold the address in PostgreSQL");
        mapping.AssertRunning();
        await mapping.StopAsync();
        await stack.DrainAsync(invoker);

        var entries = await stack.Services.Quarantine.ListAsync(includeResolved: true);
        output.WriteLine($"{traffic.Writes} writes; {invoker.Invocations} invocations; giver held {giverHeld}x; quarantine entries "
            + $"[{string.Join(", ", entries.Select(e => $"{e.Key} {e.ErrorCode} {e.Resolution}"))}]; log {stack.LogFile}");
        Assert.True(giverHeld > 0, "the giver's change was never held back");
        // The conflict did happen (the taker came first), and stream-sync resolved it by itself.
        Assert.Contains(entries, e => e.Key == taker && e.Resolution == "applied");
        await stack.AssertEndStateAsync();
    }

    private static (string Giver, string Taker) UsersInDifferentLanes(int lanes)
    {
        for (var i = 0; ; i++)
        {
            var (giver, taker) = ($"user-giver-{i}", $"user-taker-{i}");
            if (ShardWorker.Lane(Keyed(giver), lanes) != ShardWorker.Lane(Keyed(taker), lanes)) return (giver, taker);
        }
    }

    private static DynamoDBStreamRecord Keyed(string userId) =>
        new() { Dynamodb = new StreamRecord { Keys = new() { ["userId"] = AttributeValue.FromS(userId) } } };
}
