using CloudShelf.Sync.ChaosTests.Harness;
using Npgsql;
using Xunit.Abstractions;
using static CloudShelf.Sync.Testing.Items;

namespace CloudShelf.Sync.ChaosTests;

/// <summary>
/// Scenario 8: poison records, i.e. genuine defects of the Phase 1 data, amid live traffic: a second live user with
/// an e-mail address another user holds, and a book whose negative price a Phase 2 CHECK constraint
/// refuses. They are quarantined, and only they; the rest of the stream flows. Then the data is fixed in
/// DynamoDB, as the runbook says, and a replay closes the entries.
/// </summary>
[Collection(ChaosCollection.Name)]
public sealed class PoisonRecordTests(ChaosServers servers, ITestOutputHelper output)
{
    [Fact]
    public async Task Genuine_defects_are_quarantined_alone_and_resolved_once_fixed_at_the_source()
    {
        await using var stack = await ChaosStack.CreateAsync(servers, "poison");
        await using (var command = stack.Services.DataSource.CreateCommand(
            "ALTER TABLE cloudshelf.books ADD CONSTRAINT chaos_price_not_negative CHECK (price >= 0)"))
        {
            await command.ExecuteNonQueryAsync();
        }
        await using var invoker = new ObservedInvoker(stack.InProcess());
        var mapping = stack.StartMapping(invoker);
        var traffic = new Traffic(stack, seed: 8);
        var writing = traffic.RunAsync(operations: 150, pause: TimeSpan.FromMilliseconds(10));

        await stack.PutAsync(stack.Users, User("user-holder", "shared@example.com"));
        await Eventually.WaitAsync(() => stack.HasRowAsync("users", "user-holder"), "the holder of the address to be applied");
        await stack.PutAsync(stack.Users, User("user-duplicate", "shared@example.com"));
        await stack.PutAsync(stack.Books, Book("book-negative", price: "-5.00"));
        await writing;
        await Eventually.WaitAsync(async () => (await stack.Services.Quarantine.ListAsync()).Count >= 2, "both defects to be quarantined");
        mapping.AssertRunning();
        await mapping.StopAsync();
        await stack.DrainAsync(invoker);

        var open = await stack.Services.Quarantine.ListAsync();
        output.WriteLine($"{traffic.Writes} writes; quarantined [{string.Join(", ", open.Select(q => $"{q.TargetTable}/{q.Key} {q.ErrorCode}: {q.Reason}"))}]; log {stack.LogFile}");
        Assert.Equal(["23505", "23514"], open.Select(q => q.ErrorCode).Order(StringComparer.Ordinal));
        await stack.AssertEndStateAsync([new Defect("users", "user-duplicate"), new Defect("books", "book-negative")]);

        // The runbook: fix the data at the source, let the stream bring it, replay what is left.
        await stack.PutAsync(stack.Users, User("user-duplicate", "duplicate-fixed@example.com"));
        await stack.PutAsync(stack.Books, Book("book-negative", price: "5.00"));
        await stack.DrainAsync(invoker);
        var replay = await stack.Services.Replayer.ReplayAsync(null);
        output.WriteLine($"after the fix: replayed {replay.Attempted}: {replay.Applied} applied, {replay.Superseded} superseded, {replay.StillQuarantined} still quarantined");
        await stack.AssertEndStateAsync();
    }
}
