using CloudShelf.Sync.ChaosTests.Harness;
using Xunit.Abstractions;
using static CloudShelf.Sync.Testing.Items;

namespace CloudShelf.Sync.ChaosTests;

/// <summary>
/// Scenario 7: a batch that runs past its deadline (the function timeout, here 4 s): it waits for a row
/// that a long transaction holds. The bootstrap must give up 1.5 s before the deadline, roll back and
/// report every record failed, so the mapping delivers them again.
/// </summary>
[Collection(ChaosCollection.Name)]
public sealed class DeadlineTests(ChaosServers servers, ITestOutputHelper output)
{
    [Fact]
    public async Task A_batch_past_its_deadline_is_rolled_back_reported_failed_and_applied_on_redelivery()
    {
        await using var stack = await ChaosStack.CreateAsync(servers, "deadline");
        await using var invoker = await stack.BootstrapAsync(environments: 2, timeout: TimeSpan.FromSeconds(4));
        var mapping = stack.StartMapping(invoker);
        await stack.PutAsync(stack.Books, Book("book-held"));
        await Eventually.WaitAsync(() => stack.HasRowAsync("books", "book-held"), "book-held to be applied");
        var traffic = new Traffic(stack, seed: 7);
        var writing = traffic.RunAsync(operations: 150, pause: TimeSpan.FromMilliseconds(15));

        (Invocation Invocation, Cli.LocalMapping.InvocationOutcome Outcome) late;
        await using (await RowLock.TakeAsync(stack, "books", "book-held"))
        {
            await stack.PutAsync(stack.Books, Book("book-held", price: "32.00"));
            await Eventually.WaitAsync(() => invoker.Failures.Any(f => f.Invocation.Contains("book-held")), "the held batch to reach its deadline");
            late = invoker.Failures.First(f => f.Invocation.Contains("book-held"));
        }
        await writing;
        mapping.AssertRunning();
        await mapping.StopAsync();
        await stack.DrainAsync(invoker);

        output.WriteLine($"{traffic.Writes} writes; {invoker.Invocations} invocations, {invoker.Failed} failed; the late batch: "
            + $"{late.Invocation.Event.Records.Count} records, outcome {late.Outcome.FunctionError ?? $"{late.Outcome.Response!.BatchItemFailures.Count} batch item failures"}; log {stack.LogFile}");
        // stream-sync stopped before the deadline and answered with every record failed; it did not time out.
        Assert.Null(late.Outcome.FunctionError);
        Assert.Equal(late.Invocation.Event.Records.Count, late.Outcome.Response!.BatchItemFailures.Count);
        await stack.AssertEndStateAsync();
    }
}
