using System.Text;
using System.Text.Json;
using CloudShelf.Sync.IntegrationTests.Infrastructure;
using CloudShelf.Sync.Streams;
using CloudShelf.Sync.StreamSync;
using static CloudShelf.Sync.Testing.Items;
using static CloudShelf.Sync.Testing.StreamEvents;

namespace CloudShelf.Sync.IntegrationTests.StreamSync;

[Collection(SyncServerCollection.Name)]
public sealed class QuarantineTests(SyncServerFixture fixture)
{
    private static byte[] BatchWithDefects() => Encoding.UTF8.GetBytes($$$"""
        {"Records":[
          {"eventID":"1","eventName":"INSERT","eventSourceARN":"{{{Arn(Books)}}}","dynamodb":{"Keys":{"bookId":{"S":"b1"}},"NewImage":{"bookId":{"S":"b1"},"price":{"X":"1"}},"SequenceNumber":"1"}},
          {"eventID":"2","eventName":"INSERT","eventSourceARN":"{{{Arn(Books)}}}","dynamodb":{"Keys":{"bookId":{"N":"2"}},"NewImage":{"bookId":{"N":"2"}},"SequenceNumber":"2"}},
          {"eventID":"3","eventName":"INSERT","eventSourceARN":"{{{Arn(Users)}}}","dynamodb":{"Keys":{"userId":{"S":"user-b"}},"NewImage":{"userId":{"S":"user-b"},"email":{"S":"sam@example.com"}},"SequenceNumber":"3"}},
          {"eventID":"4","eventName":"INSERT","eventSourceARN":"{{{Arn(Books)}}}","dynamodb":{"Keys":{"bookId":{"S":"b4"}},"NewImage":{"bookId":{"S":"b4"}},"SequenceNumber":"4"}}
        ]}
        """);

    [Fact]
    public async Task Redelivering_a_batch_three_times_leaves_exactly_the_same_open_entries_and_counts_the_deliveries()
    {
        // Protection: each delivery used to add its quarantine entries again (three deliveries, twelve entries).
        await using var db = await SyncDatabase.CreateAsync(fixture);
        await db.HandleAsync(Insert(Users, "0", User("user-a", "sam@example.com")));

        await db.Services.StreamSync.HandleAsync(BatchWithDefects(), CancellationToken.None);
        var first = Entries(await db.Services.Quarantine.ListAsync());
        await db.Services.StreamSync.HandleAsync(BatchWithDefects(), CancellationToken.None);
        await db.Services.StreamSync.HandleAsync(BatchWithDefects(), CancellationToken.None);
        await db.Services.Replayer.ReplayAsync(null);

        var open = await db.Services.Quarantine.ListAsync();
        Assert.Equal(3, first.Count);
        Assert.Equal(first, Entries(open));
        Assert.All(open, q => Assert.Equal(3, q.Deliveries));
        Assert.All(open, q => Assert.NotNull(q.LastSeenAt));
        Assert.Equal(3L, await db.ScalarAsync<long>("SELECT count(*) FROM cloudshelf_sync.quarantine"));
        Assert.Equal("b4", await db.ScalarAsync<string>("SELECT string_agg(book_id, ',') FROM cloudshelf.books"));
    }

    [Fact]
    public async Task An_email_handover_whose_halves_land_in_different_batches_ends_with_both_users_current_and_no_open_entry()
    {
        // Protection: a conflict that ordering resolves is retried, not left in quarantine for good.
        await using var db = await SyncDatabase.CreateAsync(fixture);
        await db.HandleAsync(Insert(Users, "1", User("user-a", "x@example.com")));

        // user-b's change (taking x) arrives first, from another shard.
        var taken = await db.ProcessAsync(Insert(Users, "20", User("user-b", "x@example.com")));
        Assert.Equal(RecordOutcome.Quarantined, Assert.Single(taken.Outcomes));
        var waiting = Assert.Single(await db.Services.Quarantine.ListAsync());
        Assert.Equal(("user-b", "user-a"), (waiting.Key, waiting.ConflictKey));

        // Then user-a's (giving x up) lands: the waiting entry is tried again by that batch.
        var response = await db.HandleAsync(Modify(Users, "10", User("user-a", "a@example.com")));

        Assert.Empty(response.BatchItemFailures);
        Assert.Empty(await db.Services.Quarantine.ListAsync());
        Assert.Equal("applied", Assert.Single(await db.Services.Quarantine.ListAsync(includeResolved: true)).Resolution);
        Assert.Equal([("user-a", "a@example.com"), ("user-b", "x@example.com")], await RefusalIsolationTests.UsersAsync(db));
    }

    [Fact]
    public async Task A_genuine_duplicate_stays_quarantined_with_its_reason_when_its_holder_changes_something_else()
    {
        await using var db = await SyncDatabase.CreateAsync(fixture);
        await db.HandleAsync(Insert(Users, "1", User("user-a", "x@example.com")));
        await db.HandleAsync(Insert(Users, "2", User("user-b", "x@example.com")));

        await db.HandleAsync(Modify(Users, "3", User("user-a", "x@example.com")));

        var entry = Assert.Single(await db.Services.Quarantine.ListAsync());
        Assert.Equal(("user-b", "23505"), (entry.Key, entry.ErrorCode));
        Assert.Contains("users_email_key", entry.Reason, StringComparison.Ordinal);
        Assert.True(entry.ReplayAttempts >= 1);
        // Reasons and logs name the constraint, never the contested value.
        Assert.DoesNotContain("x@example.com", entry.Reason, StringComparison.Ordinal);
        Assert.DoesNotContain("x@example.com", db.Output.ToString(), StringComparison.Ordinal);
        Assert.Equal([("user-a", "x@example.com")], await RefusalIsolationTests.UsersAsync(db));
    }

    [Fact]
    public async Task Records_holding_NUL_are_quarantined_instead_of_failing_the_invocation()
    {
        // PostgreSQL text cannot hold U+0000; neither the item nor its quarantine entry may fail the batch.
        await using var db = await SyncDatabase.CreateAsync(fixture);

        var response = await db.HandleAsync(
            Insert(Books, "1", Book("bad\0key")),
            Insert(Books, "2", Book("book-2", title: "nul \0 inside")),
            Insert(Books, "3", Book("book-3")));

        Assert.True(response.BatchItemFailures.Count == 0, db.Output.ToString());
        var open = await db.Services.Quarantine.ListAsync();
        Assert.Equal(2, open.Count);
        Assert.All(open, q => Assert.Contains("\\u0000", q.RecordJson, StringComparison.Ordinal));
        Assert.Equal("book-3", await db.ScalarAsync<string>("SELECT book_id FROM cloudshelf.books"));
    }

    [Fact]
    public async Task A_quarantine_entry_the_database_refuses_is_stored_encoded_with_its_reason_never_as_an_invocation_error()
    {
        // Protection: a refused quarantine insert escaped as an invocation error, so Lambda redelivered the batch forever.
        await using var db = await SyncDatabase.CreateAsync(fixture);
        await using (var refuse = db.Services.DataSource.CreateCommand(
            "ALTER TABLE cloudshelf_sync.quarantine ADD CONSTRAINT no_poison CHECK (record::text NOT LIKE '%poison%')"))
        {
            await refuse.ExecuteNonQueryAsync();
        }
        var json = Encoding.UTF8.GetBytes($$$"""
            {"Records":[
              {"eventID":"1","eventName":"INSERT","eventSourceARN":"{{{Arn(Books)}}}","dynamodb":{"Keys":{"bookId":{"S":"poison"}},"NewImage":{"bookId":{"S":"poison"},"price":{"X":"1"}},"SequenceNumber":"1"}},
              {"eventID":"2","eventName":"INSERT","eventSourceARN":"{{{Arn(Books)}}}","dynamodb":{"Keys":{"bookId":{"S":"b2"}},"NewImage":{"bookId":{"S":"b2"}},"SequenceNumber":"2"}}
            ]}
            """);

        var response = StreamEventSerializer.ReadResponse(await db.Services.StreamSync.HandleAsync(json, CancellationToken.None));

        Assert.Empty(response.BatchItemFailures);
        Assert.Equal("b2", await db.ScalarAsync<string>("SELECT book_id FROM cloudshelf.books"));
        var entry = Assert.Single(await db.Services.Quarantine.ListAsync());
        Assert.Equal("unreadable", entry.ErrorCode);
        Assert.Contains("Record could not be read", entry.Reason, StringComparison.Ordinal);
        using var stored = JsonDocument.Parse(entry.RecordJson);
        var original = Encoding.UTF8.GetString(Convert.FromBase64String(stored.RootElement.GetProperty("encodedRecord").GetString()!));
        Assert.Contains("\"X\"", original, StringComparison.Ordinal);
        Assert.Contains("poison", original, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Replaying_every_open_entry_walks_them_in_bounded_batches_by_id_until_none_is_left()
    {
        await using var db = await SyncDatabase.CreateAsync(fixture);
        await db.HandleAsync(Insert(Users, "1", User("user-a", "sam@example.com")));
        for (var i = 0; i < 7; i++)
            await db.HandleAsync(Insert(Users, $"{10 + i}", User($"user-{i}", "sam@example.com")));
        Assert.Equal(7, (await db.Services.Quarantine.ListAsync()).Count);
        db.Output.GetStringBuilder().Clear();

        var replay = await db.Services.Replayer.ReplayAsync(null, CancellationToken.None, batchSize: 3);

        Assert.Equal((7, 7), (replay.Attempted, replay.StillQuarantined));
        var batches = db.Output.ToString().Split('\n')
            .Where(l => l.Contains("\"Batch processed\"", StringComparison.Ordinal))
            .Select(l => JsonDocument.Parse(l).RootElement.GetProperty("records").GetInt32())
            .ToList();
        Assert.Equal([3, 3, 1], batches);
        Assert.Equal(7, (await db.Services.Quarantine.ListAsync()).Count);
    }

    private static List<(long, string?, string?, string?, string?, string)> Entries(IReadOnlyList<CloudShelf.Sync.Postgres.QuarantinedRecord> open) =>
        open.Select(q => (q.Id, q.TargetTable, q.Key, q.SequenceNumber, q.ErrorCode, q.RecordJson)).ToList();
}
