using System.Diagnostics;
using CloudShelf.Sync.ChaosTests.Harness;
using Xunit.Abstractions;
using static CloudShelf.Sync.Testing.Items;

namespace CloudShelf.Sync.ChaosTests;

/// <summary>Scenario 3: the published bootstrap is killed (SIGKILL) while it is inside a batch's transaction.</summary>
[Collection(ChaosCollection.Name)]
public sealed class BootstrapKillTests(ChaosServers servers, ITestOutputHelper output)
{
    [Fact]
    public async Task The_bootstrap_killed_in_the_middle_of_a_batch_loses_nothing()
    {
        await using var stack = await ChaosStack.CreateAsync(servers, "bootstrap-kill");
        await using var invoker = await stack.BootstrapAsync(environments: 2);
        var bootstrap = (Cli.LocalMapping.BootstrapInvoker)invoker.Real;
        var mapping = stack.StartMapping(invoker);
        await stack.PutAsync(stack.Books, Book("book-held"));
        await Eventually.WaitAsync(() => stack.HasRowAsync("books", "book-held"), "book-held to be applied");
        var traffic = new Traffic(stack, seed: 3);
        var writing = traffic.RunAsync(operations: 150, pause: TimeSpan.FromMilliseconds(15));

        // A batch that changes book-held waits inside its transaction for the row lock: the bootstrap is mid-batch.
        await using (await RowLock.TakeAsync(stack, "books", "book-held"))
        {
            await stack.PutAsync(stack.Books, Book("book-held", price: "31.00"));
            await Eventually.WaitAsync(async () => await RowLock.WaitersAsync(stack) > 0, "a batch to wait for the held row");
            foreach (var pid in bootstrap.ProcessIds)
            {
                using var process = Process.GetProcessById(pid);
                process.Kill();
            }
            await Eventually.WaitAsync(() => invoker.Failures.Any(f => f.Outcome.FunctionError?.Contains("Runtime exited", StringComparison.Ordinal) == true),
                "the mapping to see the runtime exit");
        }
        await writing;
        mapping.AssertRunning();
        await mapping.StopAsync();
        await stack.DrainAsync(invoker);

        output.WriteLine($"{traffic.Writes} writes; {invoker.Invocations} invocations, {invoker.Failed} failed; log {stack.LogFile}");
        await stack.AssertEndStateAsync();
    }
}
