using CloudShelf.Sync.IntegrationTests.Infrastructure;
using CloudShelf.Sync.Streams;
using CloudShelf.Sync.StreamSync;
using static CloudShelf.Sync.Testing.Items;
using static CloudShelf.Sync.Testing.StreamEvents;

namespace CloudShelf.Sync.IntegrationTests.StreamSync;

[Collection(SyncServerCollection.Name)]
public sealed class StreamSyncTests(SyncServerFixture fixture)
{
    private static string EventFile(string name) => Path.Combine(AppContext.BaseDirectory, "events", name);

    [Fact]
    public async Task Every_attribute_type_round_trips_through_PostgreSQL()
    {
        await using var db = await SyncDatabase.CreateAsync(fixture);
        var item = Book("book-all-types");
        item["blob"] = AttributeValue.FromB([0, 1, 2, 255]);
        item["tags"] = AttributeValue.FromSS(["a", "b"]);
        item["sizes"] = AttributeValue.FromNS(["1", "2.5", "-3"]);
        item["scans"] = AttributeValue.FromBS([[1, 2], [3]]);
        item["meta"] = AttributeValue.FromM(new Dictionary<string, AttributeValue>
        {
            ["nested"] = AttributeValue.FromL([S("x"), N("1"), AttributeValue.True, AttributeValue.Null, AttributeValue.FromSS(["s"])]),
        });
        item["history"] = AttributeValue.FromL([S("2020"), N("7")]);
        item["discontinued"] = AttributeValue.Null;
        item["signed"] = AttributeValue.True;
        item["emptyText"] = S("");
        item["unicode"] = S("ノルウェイの森 📚 e\u0301");

        var response = await db.HandleAsync(Insert(Books, "100", item));

        Assert.Empty(response.BatchItemFailures);
        var stored = await db.ItemAsync(Books, "book-all-types");
        Assert.NotNull(stored);
        Assert.True(ItemEquality.Equal(item, stored), $"stored: {DynamoJson.SerializeItem(stored)}");
    }

    [Fact]
    public async Task The_edge_case_sample_event_round_trips_and_keeps_ill_fitting_values()
    {
        await using var db = await SyncDatabase.CreateAsync(fixture);
        var sample = StreamEventSerializer.ReadEvent(await File.ReadAllBytesAsync(EventFile("edge-cases-books-insert.json")));
        var record = Assert.Single(sample.Records);

        var response = await db.Services.StreamSync.HandleAsync(sample, CancellationToken.None);
        db.Services.Metrics.Flush();

        Assert.Empty(response.BatchItemFailures);
        var key = record.Dynamodb!.Keys!["bookId"].S!;
        var stored = await db.ItemAsync(Books, key);
        Assert.True(ItemEquality.Equal(record.Dynamodb.NewImage!, stored!), $"stored: {DynamoJson.SerializeItem(stored!)}");
        // The columns that cannot hold the value are NULL, the value waits in attributes.
        Assert.Null(await db.ScalarAsync<decimal?>($"SELECT price FROM cloudshelf.books WHERE book_id = '{key}'"));
        Assert.Null(await db.ScalarAsync<int?>($"SELECT stock FROM cloudshelf.books WHERE book_id = '{key}'"));
        Assert.Equal("twelve", await db.ScalarAsync<string>($"SELECT attributes->'price'->>'S' FROM cloudshelf.books WHERE book_id = '{key}'"));
        Assert.Equal("1E+30", await db.ScalarAsync<string>($"SELECT attributes->'stock'->>'N' FROM cloudshelf.books WHERE book_id = '{key}'"));
        Assert.Contains("\"IllFittingValues\"", db.Output.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_item_nested_as_deep_as_DynamoDB_allows_is_applied_not_failed()
    {
        // Regression: System.Text.Json's default depth of 64 made a 30-level map fail the whole
        // batch on every delivery, blocking the shard.
        await using var db = await SyncDatabase.CreateAsync(fixture);
        var deep = AttributeValue.FromS("bottom");
        for (var level = 0; level < 31; level++)
            deep = AttributeValue.FromM(new Dictionary<string, AttributeValue> { ["m"] = deep });
        var item = Book("book-deep");
        item["deep"] = deep;
        var json = System.Text.Json.JsonSerializer.SerializeToUtf8Bytes(Event(Insert(Books, "1", item), Insert(Books, "2", Book("book-flat"))),
            StreamJsonContext.Default.DynamoDBEvent);

        var response = StreamEventSerializer.ReadResponse(await db.Services.StreamSync.HandleAsync(json, CancellationToken.None));

        Assert.Empty(response.BatchItemFailures);
        Assert.True(ItemEquality.Equal(item, (await db.ItemAsync(Books, "book-deep"))!));
        Assert.Equal(2L, await db.ScalarAsync<long>("SELECT count(*) FROM cloudshelf.books"));
    }

    [Fact]
    public async Task Numbers_with_38_significant_digits_stay_exact()
    {
        await using var db = await SyncDatabase.CreateAsync(fixture);
        const string price = "12345678901234567890.123456789012345678";
        const string rating = "-0.00000000000000000000000000000000000012345678901234567890123456789012345678";
        var item = Book("book-precise", price);
        item["rating"] = N(rating);

        await db.HandleAsync(Insert(Books, "1", item));

        Assert.Equal(price, await db.ScalarAsync<string>("SELECT price::text FROM cloudshelf.books"));
        Assert.Equal(rating, await db.ScalarAsync<string>("SELECT rating::text FROM cloudshelf.books"));
        Assert.Equal(price, (await db.ItemAsync(Books, "book-precise"))!["price"].N);
    }

    [Fact]
    public async Task Redelivering_a_batch_changes_nothing()
    {
        await using var db = await SyncDatabase.CreateAsync(fixture);
        var batch = new[]
        {
            Insert(Books, "10", Book("book-1")),
            Insert(Users, "11", User("user-1", "ann@example.com")),
            Insert(Orders, "12", Order("order-1", 3)),
            Modify(Books, "13", Book("book-1", price: "20.00")),
            Remove(Books, "14", "book-2"),
        };
        await db.HandleAsync(batch);
        var first = await db.SnapshotAsync();

        var again = await db.ProcessAsync(batch);

        Assert.Equal(first, await db.SnapshotAsync());
        Assert.DoesNotContain(RecordOutcome.Failed, again.Outcomes);
        Assert.DoesNotContain(RecordOutcome.Applied, again.Outcomes);
    }

    [Theory]
    [InlineData("100000", "99999")]
    [InlineData("1000000000000000000000000000000000000000", "999999999999999999999999999999999999999")]
    [InlineData("20", "3")]
    public async Task An_older_change_arriving_after_a_newer_one_changes_nothing(string newer, string older)
    {
        await using var db = await SyncDatabase.CreateAsync(fixture);
        await db.HandleAsync(Modify(Books, newer, Book("book-1", price: "30.00")));

        var result = await db.ProcessAsync(Modify(Books, older, Book("book-1", price: "10.00")));

        Assert.Equal(RecordOutcome.Superseded, Assert.Single(result.Outcomes));
        Assert.Equal("30.00", await db.ScalarAsync<string>("SELECT price::text FROM cloudshelf.books"));
        Assert.Equal(newer, await db.ScalarAsync<string>("SELECT sync_sequence::text FROM cloudshelf.books"));
    }

    [Fact]
    public async Task Within_one_batch_the_newest_change_of_an_item_wins_whatever_the_order()
    {
        await using var db = await SyncDatabase.CreateAsync(fixture);

        await db.HandleAsync(
            Modify(Books, "100", Book("book-1", price: "3.00")),
            Insert(Books, "9", Book("book-1", price: "1.00")),
            Modify(Books, "99", Book("book-1", price: "2.00")));

        Assert.Equal("3.00", await db.ScalarAsync<string>("SELECT price::text FROM cloudshelf.books"));
    }

    [Fact]
    public async Task A_delete_followed_by_a_late_older_insert_stays_deleted()
    {
        await using var db = await SyncDatabase.CreateAsync(fixture);
        await db.HandleAsync(Insert(Books, "5", Book("book-1")));
        await db.HandleAsync(Remove(Books, "7", "book-1"));

        var late = await db.ProcessAsync(Insert(Books, "6", Book("book-1")));

        Assert.Equal(RecordOutcome.Superseded, Assert.Single(late.Outcomes));
        Assert.Equal(0L, await db.ScalarAsync<long>("SELECT count(*) FROM cloudshelf.books"));
        Assert.Equal("7", await db.ScalarAsync<string>("SELECT sequence_number::text FROM cloudshelf_sync.tombstones WHERE item_key = 'book-1'"));
    }

    [Fact]
    public async Task A_delete_that_arrives_before_the_insert_it_follows_still_wins()
    {
        await using var db = await SyncDatabase.CreateAsync(fixture);
        await db.HandleAsync(Remove(Orders, "50", "order-1"));

        await db.HandleAsync(Insert(Orders, "40", Order("order-1", 2)));

        Assert.Equal(0L, await db.ScalarAsync<long>("SELECT count(*) FROM cloudshelf.orders"));
        Assert.Equal(0L, await db.ScalarAsync<long>("SELECT count(*) FROM cloudshelf.order_items"));
    }

    [Fact]
    public async Task A_stale_order_modify_whose_parent_row_exists_leaves_its_lines_untouched()
    {
        // Protection: the child-line guard. Lines are trimmed and upserted only for parents whose row now
        // holds this very change; a stale MODIFY (older than the stored order) must not touch order_items.
        await using var db = await SyncDatabase.CreateAsync(fixture);
        await db.HandleAsync(Insert(Orders, "10", Order("order-1", 3, status: "SHIPPED")));
        var before = await db.SnapshotAsync();

        var result = await db.ProcessAsync(Modify(Orders, "5", Order("order-1", 1, status: "PENDING")));

        Assert.Equal(RecordOutcome.Superseded, Assert.Single(result.Outcomes));
        Assert.Equal(3L, await db.ScalarAsync<long>("SELECT count(*) FROM cloudshelf.order_items"));
        Assert.Equal(before, await db.SnapshotAsync());
    }

    [Fact]
    public async Task An_order_whose_items_shrink_loses_its_extra_lines()
    {
        await using var db = await SyncDatabase.CreateAsync(fixture);
        await db.HandleAsync(Insert(Orders, "1", Order("order-1", 3)));
        Assert.Equal(3L, await db.ScalarAsync<long>("SELECT count(*) FROM cloudshelf.order_items"));

        await db.HandleAsync(Modify(Orders, "2", Order("order-1", 1, status: "SHIPPED")));

        Assert.Equal(1L, await db.ScalarAsync<long>("SELECT count(*) FROM cloudshelf.order_items"));
        Assert.Equal("book-1", await db.ScalarAsync<string>("SELECT book_id FROM cloudshelf.order_items WHERE line_no = 1"));
        Assert.Equal("SHIPPED", await db.ScalarAsync<string>("SELECT status FROM cloudshelf.orders"));
        Assert.True(ItemEquality.Equal(Order("order-1", 1, status: "SHIPPED"), (await db.ItemAsync(Orders, "order-1"))!));
    }

    [Fact]
    public async Task Deleting_an_order_deletes_its_lines()
    {
        await using var db = await SyncDatabase.CreateAsync(fixture);
        await db.HandleAsync(Insert(Orders, "1", Order("order-1", 2)));

        await db.HandleAsync(Remove(Orders, "2", "order-1", ttl: true));

        Assert.Equal(0L, await db.ScalarAsync<long>("SELECT count(*) FROM cloudshelf.order_items"));
        Assert.True(await db.ScalarAsync<bool>("SELECT ttl_delete FROM cloudshelf_sync.tombstones WHERE item_key = 'order-1'"));
        Assert.Contains("\"TtlDeletes\":1", db.Output.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_duplicate_email_is_quarantined_while_the_rest_of_its_batch_is_applied()
    {
        await using var db = await SyncDatabase.CreateAsync(fixture);

        var result = await db.ProcessAsync(
            Insert(Books, "1", Book("book-1")),
            Insert(Users, "2", User("user-a", "sam@example.com")),
            Insert(Users, "3", User("user-b", "sam@example.com")),
            Insert(Users, "4", User("user-c", "kim@example.com")),
            Insert(Orders, "5", Order("order-1", 2)));

        Assert.Equal(
            [RecordOutcome.Applied, RecordOutcome.Applied, RecordOutcome.Quarantined, RecordOutcome.Applied, RecordOutcome.Applied],
            result.Outcomes);
        Assert.Empty(result.ToResponse().BatchItemFailures);
        Assert.Equal(2L, await db.ScalarAsync<long>("SELECT count(*) FROM cloudshelf.users"));
        Assert.Equal("user-a", await db.ScalarAsync<string>("SELECT user_id FROM cloudshelf.users WHERE email = 'sam@example.com'"));
        var entry = Assert.Single(await db.Services.Quarantine.ListAsync());
        Assert.Equal(("user-b", "3", "23505"), (entry.Key, entry.SequenceNumber, entry.ErrorCode));
        Assert.Contains("users_email_key", entry.Reason, StringComparison.Ordinal);
        // The whole record is kept, so it can be replayed.
        var kept = StreamEventSerializer.ReadRecordTolerant(entry.RecordJson);
        Assert.True(ItemEquality.Equal(User("user-b", "sam@example.com"), kept.Dynamodb!.NewImage!));
        Assert.Contains("\"RecordsQuarantined\":1", db.Output.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Two_users_swapping_email_addresses_in_one_batch_are_both_applied()
    {
        await using var db = await SyncDatabase.CreateAsync(fixture);
        await db.HandleAsync(Insert(Users, "1", User("user-a", "a@example.com")), Insert(Users, "2", User("user-b", "b@example.com")));

        var result = await db.ProcessAsync(Modify(Users, "3", User("user-a", "b@example.com")), Modify(Users, "4", User("user-b", "a@example.com")));

        Assert.All(result.Outcomes, o => Assert.Equal(RecordOutcome.Applied, o));
        Assert.Equal("user-b", await db.ScalarAsync<string>("SELECT user_id FROM cloudshelf.users WHERE email = 'a@example.com'"));
    }

    [Fact]
    public async Task Quarantined_records_replay_after_the_fix_and_obey_the_ordering_rule()
    {
        await using var db = await SyncDatabase.CreateAsync(fixture);
        await db.HandleAsync(Insert(Users, "1", User("user-a", "sam@example.com")));
        await db.HandleAsync(Insert(Users, "2", User("user-b", "sam@example.com")));
        await db.HandleAsync(Insert(Users, "3", User("user-c", "sam@example.com")));
        var open = await db.Services.Quarantine.ListAsync();
        Assert.Equal(["user-b", "user-c"], open.Select(q => q.Key));

        // Still a duplicate: stays quarantined, with the attempt counted.
        var stillBad = await db.Services.Replayer.ReplayAsync([open[0].Id]);
        Assert.Equal(1, stillBad.StillQuarantined);

        // The fixes arrive through the stream: user-a's address changes, user-c gets its own. The
        // entries waiting for user-a's address are tried again by that very batch.
        await db.HandleAsync(Modify(Users, "4", User("user-a", "sam.a@example.com")), Modify(Users, "5", User("user-c", "c@example.com")));
        var replay = await db.Services.Replayer.ReplayAsync(null);

        Assert.Equal(0, replay.Attempted);
        Assert.Equal("user-b", await db.ScalarAsync<string>("SELECT user_id FROM cloudshelf.users WHERE email = 'sam@example.com'"));
        // user-c's quarantined change is older than the one applied since: it must not undo it.
        Assert.Equal("c@example.com", await db.ScalarAsync<string>("SELECT email FROM cloudshelf.users WHERE user_id = 'user-c'"));
        Assert.Empty(await db.Services.Quarantine.ListAsync());
        var all = await db.Services.Quarantine.ListAsync(includeResolved: true);
        Assert.Equal(["applied", "superseded"], all.Select(q => q.Resolution));
        // Tried right after it was quarantined (its holder might have changed meanwhile), by the operator, and by the fix.
        Assert.Equal(3, all[0].ReplayAttempts);
    }

    [Fact]
    public async Task A_replayed_change_older_than_the_current_row_is_resolved_as_superseded()
    {
        await using var db = await SyncDatabase.CreateAsync(fixture);
        await db.HandleAsync(Insert(Users, "1", User("user-a", "sam@example.com")));
        await db.HandleAsync(Insert(Users, "2", User("user-b", "sam@example.com")));
        await db.HandleAsync(Modify(Users, "3", User("user-b", "bee@example.com")));

        var replay = await db.Services.Replayer.ReplayAsync(null);

        Assert.Equal((1, 0, 1), (replay.Attempted, replay.Applied, replay.Superseded));
        Assert.Equal("bee@example.com", await db.ScalarAsync<string>("SELECT email FROM cloudshelf.users WHERE user_id = 'user-b'"));
    }

    [Fact]
    public async Task Unmapped_tables_are_skipped_and_counted_not_failed()
    {
        await using var db = await SyncDatabase.CreateAsync(fixture);
        var sample = StreamEventSerializer.ReadEvent(await File.ReadAllBytesAsync(EventFile("carts-modify.json")));

        var response = await db.Services.StreamSync.HandleAsync(sample, CancellationToken.None);
        db.Services.Metrics.Flush();

        Assert.Empty(response.BatchItemFailures);
        Assert.Contains("\"Table\":\"cloudshelf-carts\"", db.Output.ToString(), StringComparison.Ordinal);
        Assert.Contains("\"RecordsSkipped\":1", db.Output.ToString(), StringComparison.Ordinal);
        Assert.Equal("", await db.SnapshotAsync());
    }

    [Fact]
    public async Task Unreadable_and_unmappable_records_are_quarantined_with_their_payload()
    {
        await using var db = await SyncDatabase.CreateAsync(fixture);
        var json = System.Text.Encoding.UTF8.GetBytes($$$"""
            {"Records":[
              {"eventID":"1","eventName":"INSERT","eventSourceARN":"{{{Arn(Books)}}}","dynamodb":{"Keys":{"bookId":{"S":"b1"}},"NewImage":{"bookId":{"S":"b1"},"price":{"X":"1"}},"SequenceNumber":"1"}},
              {"eventID":"2","eventName":"INSERT","eventSourceARN":"{{{Arn(Books)}}}","dynamodb":{"Keys":{"bookId":{"N":"2"}},"NewImage":{"bookId":{"N":"2"}},"SequenceNumber":"2"}},
              {"eventID":"3","eventName":"INSERT","eventSourceARN":"{{{Arn(Books)}}}","dynamodb":{"Keys":{"bookId":{"S":"b3"}},"NewImage":{"bookId":{"S":"b3"}},"SequenceNumber":"3"}}
            ]}
            """);

        var response = StreamEventSerializer.ReadResponse(await db.Services.StreamSync.HandleAsync(json, CancellationToken.None));

        Assert.Empty(response.BatchItemFailures);
        Assert.Equal("b3", await db.ScalarAsync<string>("SELECT book_id FROM cloudshelf.books"));
        var quarantined = await db.Services.Quarantine.ListAsync();
        Assert.Equal(["unreadable", "unmappable"], quarantined.Select(q => q.ErrorCode));
        Assert.Contains("\"X\"", quarantined[0].RecordJson, StringComparison.Ordinal);
        Assert.Equal("1", quarantined[0].SequenceNumber);
    }

    [Fact]
    public async Task All_sample_events_apply_without_failures()
    {
        await using var db = await SyncDatabase.CreateAsync(fixture);
        foreach (var file in Directory.GetFiles(Path.Combine(AppContext.BaseDirectory, "events"), "*.json").Order(StringComparer.Ordinal))
        {
            if (file.EndsWith("keys-only-insert.json", StringComparison.Ordinal)) continue;  // needs DynamoDB: see KeysOnlyStreamTests
            var response = StreamEventSerializer.ReadResponse(await db.Services.StreamSync.HandleAsync(await File.ReadAllBytesAsync(file), CancellationToken.None));
            Assert.True(response.BatchItemFailures.Count == 0, $"{Path.GetFileName(file)} failed records");
        }
    }
}
