using CloudShelf.Sync.IntegrationTests.Infrastructure;
using CloudShelf.Sync.StreamSync;
using CloudShelf.Sync.Testing;
using static CloudShelf.Sync.Testing.Items;
using static CloudShelf.Sync.Testing.StreamEvents;

namespace CloudShelf.Sync.IntegrationTests.StreamSync;

/// <summary>Stops and restarts its own server, so it shares none with other tests.</summary>
public sealed class DatabaseOutageTests
{
    [Fact]
    public async Task With_the_database_stopped_the_batch_is_reported_failed_and_redelivery_after_restart_applies_it()
    {
        await using var server = await PostgresServer.StartThrowawayAsync();
        var connection = await server.CreateDatabaseAsync();
        using var output = new StringWriter();
        await using var services = SyncDatabase.CreateServices(connection, output);
        await services.Migrator.MigrateAsync();
        var batch = Event(
            Insert(Books, "11", Book("book-1")),
            Insert(Users, "12", User("user-1", "ann@example.com")),
            Modify(Orders, "13", Order("order-1", 2)),
            Remove(Books, "14", "book-9"),
            Modify(Carts, "15", new() { ["userId"] = S("user-1") }));
        await services.StreamSync.HandleAsync(Event(Insert(Books, "1", Book("book-0"))), CancellationToken.None);

        await server.StopAsync();
        var during = await services.StreamSync.HandleAsync(batch, CancellationToken.None);

        // Every record that needed the database is failed; the unsynced cart needs nothing.
        Assert.Equal(["11", "12", "13", "14"], during.BatchItemFailures.Select(f => f.ItemIdentifier));
        Assert.Contains("Batch not applied", output.ToString(), StringComparison.Ordinal);

        await server.RestartAsync();
        var after = await services.StreamSync.HandleAsync(batch, CancellationToken.None);

        Assert.Empty(after.BatchItemFailures);
        await using var count = services.DataSource.CreateCommand(
            "SELECT (SELECT count(*) FROM cloudshelf.books) + (SELECT count(*) FROM cloudshelf.users) + (SELECT count(*) FROM cloudshelf.orders)");
        Assert.Equal(4L, await count.ExecuteScalarAsync());
    }

    [Fact]
    public async Task An_unreachable_database_fails_the_batch_instead_of_throwing()
    {
        // A port nothing listens on: the first connection attempt is refused at once.
        var port = FreeTcpPort.Next();
        await using var services = SyncDatabase.CreateServices($"Host=127.0.0.1;Port={port};Username=postgres;Timeout=3", TextWriter.Null);

        var result = await services.Processor.ProcessAsync(
            [new SourceRecord(Insert(Books, "1", Book("book-1")), Books)], CancellationToken.None);

        Assert.Equal(RecordOutcome.Failed, Assert.Single(result.Outcomes));
        Assert.Equal("1", Assert.Single(result.ToResponse().BatchItemFailures).ItemIdentifier);
    }
}
