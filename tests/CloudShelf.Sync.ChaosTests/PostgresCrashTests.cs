using CloudShelf.Sync.ChaosTests.Harness;
using CloudShelf.Sync.Testing;
using Xunit.Abstractions;

namespace CloudShelf.Sync.ChaosTests;

/// <summary>Scenario 1: PostgreSQL is killed with SIGKILL while traffic flows, and restarted on the same data folder and port.</summary>
[Collection(ChaosCollection.Name)]
public sealed class PostgresCrashTests(ChaosServers servers, ITestOutputHelper output)
{
    [Fact]
    public async Task PostgreSQL_killed_with_SIGKILL_and_restarted_while_traffic_flows_loses_nothing()
    {
        // Its own cluster, with durable commits: the crash must not take the shared server or an acknowledged commit with it.
        await using var postgres = await PostgresServer.StartThrowawayAsync(durableCommits: true);
        await using var stack = await ChaosStack.CreateAsync(servers, "pg-kill", postgres);
        await using var invoker = new ObservedInvoker(stack.InProcess());
        var mapping = stack.StartMapping(invoker);
        var traffic = new Traffic(stack, seed: 1);
        var writing = traffic.RunAsync(operations: 180, pause: TimeSpan.FromMilliseconds(15));

        await Eventually.WaitAsync(async () => traffic.Writes >= 50 && await stack.ScalarAsync<long>("SELECT count(*) FROM cloudshelf_sync.batch_stats") > 0,
            "the first batches to be applied");
        await postgres.KillAsync();
        var (failedBefore, writesAtKill) = (invoker.Failed, traffic.Writes);
        await Eventually.WaitAsync(() => invoker.Failed > failedBefore && traffic.Writes >= writesAtKill + 30,
            "stream-sync to fail against the dead server while the traffic goes on");
        await postgres.RestartAsync();
        await writing;
        mapping.AssertRunning();
        await mapping.StopAsync();
        await stack.DrainAsync(invoker);

        output.WriteLine($"{traffic.Writes} writes; {invoker.Invocations} invocations, {invoker.Failed} failed (server down); log {stack.LogFile}");
        await stack.AssertEndStateAsync();
    }
}
