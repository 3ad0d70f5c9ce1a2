using CloudShelf.Sync.ChaosTests.Harness;
using Npgsql;
using Xunit.Abstractions;

namespace CloudShelf.Sync.ChaosTests;

/// <summary>Scenario 2: every connection to the scenario's database is dropped (pg_terminate_backend), again and again, while traffic flows.</summary>
[Collection(ChaosCollection.Name)]
public sealed class ConnectionDropTests(ChaosServers servers, ITestOutputHelper output)
{
    [Fact]
    public async Task Connections_dropped_by_pg_terminate_backend_while_traffic_flows_lose_nothing()
    {
        await using var stack = await ChaosStack.CreateAsync(servers, "pg-terminate");
        await using var invoker = new ObservedInvoker(stack.InProcess());
        var mapping = stack.StartMapping(invoker);
        var traffic = new Traffic(stack, seed: 2);
        var writing = traffic.RunAsync(operations: 180, pause: TimeSpan.FromMilliseconds(15));

        await Eventually.WaitAsync(() => traffic.Writes >= 30, "the traffic to start");
        var terminated = 0L;
        // The fault's own rhythm: a sweep every 150 ms while the traffic lasts (not a wait for anything).
        while (!writing.IsCompleted)
        {
            terminated += await TerminateBackendsAsync(stack);
            await Task.Delay(150);
        }
        await writing;
        mapping.AssertRunning();
        await mapping.StopAsync();
        await stack.DrainAsync(invoker);

        output.WriteLine($"{traffic.Writes} writes; {terminated} backends terminated; {invoker.Invocations} invocations, {invoker.Failed} failed; log {stack.LogFile}");
        Assert.True(terminated > 0, "no connection was dropped");
        await stack.AssertEndStateAsync();
    }

    private static async Task<long> TerminateBackendsAsync(ChaosStack stack)
    {
        await using var connection = new NpgsqlConnection(stack.Postgres.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(
            "SELECT count(*) FILTER (WHERE pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()", connection);
        command.Parameters.Add(new NpgsqlParameter { Value = stack.DatabaseName });
        return (long)(await command.ExecuteScalarAsync())!;
    }
}
