using CloudShelf.Sync.ChaosTests.Harness;
using CloudShelf.Sync.Cli.LocalMapping;
using CloudShelf.Sync.Lag;
using Xunit.Abstractions;
using static CloudShelf.Sync.Testing.Items;

namespace CloudShelf.Sync.ChaosTests;

/// <summary>
/// Scenario 10: records expire past the mapping's MaximumRecordAge (2 s) while stream-sync cannot apply
/// anything, so the mapping sends them to its on-failure destination and moves on. Nothing is lost in
/// the end: sync-lag finds them lost, copies them into the quarantine with their records, and a replay
/// restores them.
/// </summary>
[Collection(ChaosCollection.Name)]
public sealed class RecordAgeTests(ChaosServers servers, ITestOutputHelper output)
{
    private static readonly string[] LostBooks = ["book-expired-0", "book-expired-1", "book-expired-2"];
    private static readonly string[] LostUsers = ["user-expired-0", "user-expired-1"];
    private static readonly string[] LostOrders = ["order-expired-0", "order-expired-1"];

    [Fact]
    public async Task Records_expired_past_the_record_age_are_found_lost_quarantined_and_restored_by_replay()
    {
        await using var stack = await ChaosStack.CreateAsync(servers, "record-age");
        await using var invoker = new ObservedInvoker(stack.InProcess());
        await new Traffic(stack, seed: 10).RunAsync(operations: 60, pause: TimeSpan.Zero);
        await stack.DrainAsync(invoker);

        // The outage: every invocation fails, and the records grow older than the mapping keeps retrying them.
        var outage = true;
        invoker.Before = _ => Task.FromResult(Volatile.Read(ref outage) ? InvocationOutcome.Failed("NpgsqlException: the database is unreachable (injected)") : null);
        var expiring = stack.StartMapping(invoker, stack.MappingOptions() with { MaximumRecordAge = TimeSpan.FromSeconds(2) });
        foreach (var key in LostBooks) await stack.PutAsync(stack.Books, Book(key));
        foreach (var key in LostUsers) await stack.PutAsync(stack.Users, User(key, key + "@example.com"));
        foreach (var key in LostOrders) await stack.PutAsync(stack.Orders, Order(key, 2));
        var expired = LostBooks.Length + LostUsers.Length + LostOrders.Length;
        await Eventually.WaitAsync(() => expiring.RecordsToOnFailure >= expired, "the records to expire to the on-failure destination");
        await expiring.StopAsync();
        Volatile.Write(ref outage, false);

        // Later changes of the same shards arrive: the expired ones are now behind them.
        var mapping = stack.StartMapping(invoker);
        await new Traffic(stack, seed: 100).RunAsync(operations: 90, pause: TimeSpan.FromMilliseconds(10));
        await mapping.StopAsync();
        await stack.DrainAsync(invoker);

        LagReport? audit = null;
        await Eventually.WaitAsync(async () => (audit = await stack.AuditAsync()).Tables.Sum(t => t.LostChanges) >= expired, "sync-lag to find the expired changes lost");
        var quarantined = await stack.Services.Quarantine.ListAsync();
        output.WriteLine($"{expiring.RecordsToOnFailure} records to the on-failure destination; sync-lag lost changes "
            + $"{string.Join(", ", audit!.Tables.Select(t => $"{t.Table} {t.LostChanges}"))}; quarantine [{string.Join(", ", quarantined.Select(q => $"{q.Key} {q.ErrorCode}"))}]");
        Assert.Equal(expired, audit.Tables.Sum(t => t.LostChanges));
        Assert.All(quarantined, q => Assert.Equal(LostChangeQuarantine.LostCode, q.ErrorCode));
        Assert.Equal(LostBooks.Concat(LostUsers).Concat(LostOrders).Order(StringComparer.Ordinal), quarantined.Select(q => q.Key!).Order(StringComparer.Ordinal));
        foreach (var key in LostBooks) Assert.False(await stack.HasRowAsync("books", key), $"{key} was applied before the replay");

        var replay = await stack.Services.Replayer.ReplayAsync(null);
        output.WriteLine($"replayed {replay.Attempted}: {replay.Applied} applied, {replay.Superseded} superseded, {replay.StillQuarantined} still quarantined; log {stack.LogFile}");
        Assert.Equal(expired, replay.Applied);
        await stack.AssertEndStateAsync();
    }
}
