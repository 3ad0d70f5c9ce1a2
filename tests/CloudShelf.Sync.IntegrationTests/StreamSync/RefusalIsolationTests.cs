using System.Diagnostics;
using System.Globalization;
using CloudShelf.Sync.IntegrationTests.Infrastructure;
using CloudShelf.Sync.Streams;
using CloudShelf.Sync.StreamSync;
using CloudShelf.Sync.Testing;
using Npgsql;
using Xunit.Abstractions;
using static CloudShelf.Sync.Testing.Items;
using static CloudShelf.Sync.Testing.StreamEvents;

namespace CloudShelf.Sync.IntegrationTests.StreamSync;

[Collection(SyncServerCollection.Name)]
public sealed class RefusalIsolationTests(SyncServerFixture fixture, ITestOutputHelper output)
{
    [Fact]
    public async Task An_email_handover_beside_a_genuine_duplicate_quarantines_only_the_duplicate()
    {
        // Protection: bisection applied a handover's halves apart, both were refused and both users stayed stale.
        await using var db = await SyncDatabase.CreateAsync(fixture);
        await db.HandleAsync(
            Insert(Users, "1", User("user-z", "x@example.com")),
            Insert(Users, "2", User("user-u", "dup@example.com")));

        // user-a (sorting first) takes x from user-z (sorting last); user-m duplicates user-u's address.
        var result = await db.ProcessAsync(
            Insert(Users, "10", User("user-a", "x@example.com")),
            Insert(Users, "11", User("user-m", "dup@example.com")),
            Modify(Users, "12", User("user-z", "z@example.com")));

        Assert.Equal([RecordOutcome.Applied, RecordOutcome.Quarantined, RecordOutcome.Applied], result.Outcomes);
        var entry = Assert.Single(await db.Services.Quarantine.ListAsync());
        Assert.Equal(("user-m", "23505"), (entry.Key, entry.ErrorCode));
        Assert.Equal(
            [("user-a", "x@example.com"), ("user-u", "dup@example.com"), ("user-z", "z@example.com")],
            await UsersAsync(db));
    }

    [Fact]
    public async Task Two_users_swapping_addresses_beside_a_genuine_duplicate_are_both_applied()
    {
        // Protection: a swap only passes in one statement; isolation must not leave its halves refused apart.
        await using var db = await SyncDatabase.CreateAsync(fixture);
        await db.HandleAsync(
            Insert(Users, "1", User("user-a", "a@example.com")),
            Insert(Users, "2", User("user-z", "z@example.com")),
            Insert(Users, "3", User("user-u", "dup@example.com")));

        var result = await db.ProcessAsync(
            Modify(Users, "10", User("user-a", "z@example.com")),
            Insert(Users, "11", User("user-m", "dup@example.com")),
            Modify(Users, "12", User("user-z", "a@example.com")));

        Assert.Equal([RecordOutcome.Applied, RecordOutcome.Quarantined, RecordOutcome.Applied], result.Outcomes);
        Assert.Equal("user-m", Assert.Single(await db.Services.Quarantine.ListAsync()).Key);
        Assert.Equal(
            [("user-a", "z@example.com"), ("user-u", "dup@example.com"), ("user-z", "a@example.com")],
            await UsersAsync(db));
    }

    [Fact]
    public async Task Several_refused_records_in_several_tables_are_quarantined_and_everything_else_applies()
    {
        // Protection: bisection with several refused records in several tables isolates each one, and only those.
        await using var db = await SyncDatabase.CreateAsync(fixture);
        await AddRefusingConstraintsAsync(db);
        await db.HandleAsync(Insert(Users, "1", User("user-0001", "taken@example.com")));

        var records = new List<DynamoDBStreamRecord>();
        var refused = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < 30; i++)
        {
            var bad = i % 7 == 3;
            var sequence = (100 + i).ToString(CultureInfo.InvariantCulture);
            switch (i % 3)
            {
                case 0:
                    records.Add(Insert(Books, sequence, Book($"book-{i:D3}", price: bad ? "-1" : "9.99")));
                    if (bad) refused.Add($"book-{i:D3}");
                    break;
                case 1:
                    records.Add(Insert(Users, sequence, User($"user-{i:D3}", bad ? "taken@example.com" : $"u{i}@example.com")));
                    if (bad) refused.Add($"user-{i:D3}");
                    break;
                default:
                    var order = Order($"order-{i:D3}", 2);
                    if (bad) order["total"] = N("-5");
                    records.Add(Insert(Orders, sequence, order));
                    if (bad) refused.Add($"order-{i:D3}");
                    break;
            }
        }

        var result = await db.ProcessAsync([.. records]);

        Assert.Equal(3, refused.Select(k => k[..k.IndexOf('-', StringComparison.Ordinal)]).Distinct().Count());
        Assert.Equal(refused.Count, result.Count(RecordOutcome.Quarantined));
        Assert.Equal(records.Count - refused.Count, result.Count(RecordOutcome.Applied));
        Assert.Empty(result.ToResponse().BatchItemFailures);
        var open = await db.Services.Quarantine.ListAsync();
        Assert.Equal(refused.Order(StringComparer.Ordinal), open.Select(q => q.Key!).Order(StringComparer.Ordinal));
        Assert.All(open, q => Assert.Contains(q.ErrorCode, new[] { "23505", "23514" }));
        // Refused: books 3 and 24, user 10, order 17; user-0001 was there before.
        Assert.Equal(10 - 2L, await db.ScalarAsync<long>("SELECT count(*) FROM cloudshelf.books"));
        Assert.Equal(10 - 1L + 1, await db.ScalarAsync<long>("SELECT count(*) FROM cloudshelf.users"));
        Assert.Equal(10 - 1L, await db.ScalarAsync<long>("SELECT count(*) FROM cloudshelf.orders"));
        Assert.Equal(2 * 9L, await db.ScalarAsync<long>("SELECT count(*) FROM cloudshelf.order_items"));
    }

    [Fact]
    public async Task A_batch_of_1000_records_with_50_refused_finishes_and_never_holds_more_than_a_few_subtransactions()
    {
        // Protection: bisection nested savepoints without bound; past 64 subxids per backend every session slows down.
        // Measured from outside: the statements PostgreSQL itself received and logged.
        await using var server = await PostgresServer.StartThrowawayAsync();
        await using var services = await StatementLog.CreateLoggedServicesAsync(server);
        await using (var constraints = services.DataSource.CreateCommand("""
            ALTER TABLE cloudshelf.books ADD CONSTRAINT books_price_not_negative CHECK (price >= 0);
            ALTER TABLE cloudshelf.orders ADD CONSTRAINT orders_total_not_negative CHECK (total >= 0);
            """))
        {
            await constraints.ExecuteNonQueryAsync();
        }
        await services.StreamSync.HandleAsync(Event(Insert(Users, "1", User("user-taken", "taken@example.com"))), CancellationToken.None);

        var random = new Random(20261201);
        var records = new List<DynamoDBStreamRecord>();
        var refused = new HashSet<int>(Enumerable.Range(0, 1000).OrderBy(_ => random.Next()).Take(50));
        for (var i = 0; i < 1000; i++)
        {
            var bad = refused.Contains(i);
            var sequence = (1000 + i).ToString(CultureInfo.InvariantCulture);
            records.Add((i % 3) switch
            {
                0 => Insert(Books, sequence, Book($"book-{i:D4}", price: bad ? "-1" : "9.99")),
                1 => Insert(Users, sequence, User($"user-{i:D4}", bad ? "taken@example.com" : $"u{i}@example.com")),
                _ => Insert(Orders, sequence, bad ? WithTotal(Order($"order-{i:D4}", 1), "-5") : Order($"order-{i:D4}", 1)),
            });
        }
        var logStart = new FileInfo(server.LogFile!).Length;

        var watch = Stopwatch.StartNew();
        var result = await services.Processor.ProcessAsync(records.Select(r => new SourceRecord(r, StreamArn.TableName(r.EventSourceArn))).ToList(), CancellationToken.None);
        watch.Stop();

        Assert.Equal(50, result.Count(RecordOutcome.Quarantined));
        Assert.Equal(950, result.Count(RecordOutcome.Applied));
        Assert.Empty(result.ToResponse().BatchItemFailures);
        await using (var count = services.DataSource.CreateCommand("""
            SELECT (SELECT count(*) FROM cloudshelf.books) + (SELECT count(*) FROM cloudshelf.users) + (SELECT count(*) FROM cloudshelf.orders),
                   (SELECT count(*) FROM cloudshelf_sync.quarantine WHERE resolved_at IS NULL)
            """))
        await using (var reader = await count.ExecuteReaderAsync())
        {
            await reader.ReadAsync();
            Assert.Equal((950L + 1, 50L), (reader.GetInt64(0), reader.GetInt64(1)));
        }

        var lines = await ReadFromAsync(server.LogFile!, logStart);
        var (max, statements, savepoints) = StatementLog.Measure(lines);
        output.WriteLine($"1,000 records, 50 refused: {watch.Elapsed.TotalMilliseconds:F0} ms; {statements} statements logged, " +
                         $"{savepoints} savepoints, at most {max} subtransaction(s) at once");
        Assert.True(statements > 100, "the statement log was not read");
        Assert.True(savepoints > 0, "isolation ran no probe");
        Assert.InRange(max, 1, 2);
    }

    [Fact]
    public async Task Folding_keeps_a_refused_items_older_records_in_quarantine_with_it()
    {
        // Protection: folding a refused item's older records into the quarantine, so a replay still sees its history.
        await using var db = await SyncDatabase.CreateAsync(fixture);
        await db.HandleAsync(Insert(Users, "1", User("user-a", "sam@example.com")));

        var result = await db.ProcessAsync(
            Insert(Users, "10", User("user-b", "b@example.com")),
            Modify(Users, "11", User("user-b", "sam@example.com")),
            Insert(Books, "12", Book("book-1")));

        Assert.Equal([RecordOutcome.Quarantined, RecordOutcome.Quarantined, RecordOutcome.Applied], result.Outcomes);
        var open = await db.Services.Quarantine.ListAsync();
        Assert.Equal([("user-b", "10"), ("user-b", "11")], open.Select(q => (q.Key!, q.SequenceNumber!)).Order());
        Assert.Contains("Superseded within its batch by sequence number 11", open.Single(q => q.SequenceNumber == "10").Reason, StringComparison.Ordinal);
        Assert.Equal(0L, await db.ScalarAsync<long>("SELECT count(*) FROM cloudshelf.users WHERE user_id = 'user-b'"));
    }

    private static Dictionary<string, AttributeValue> WithTotal(Dictionary<string, AttributeValue> order, string total)
    {
        order["total"] = N(total);
        return order;
    }

    private static async Task AddRefusingConstraintsAsync(SyncDatabase db)
    {
        await using var command = db.Services.DataSource.CreateCommand("""
            ALTER TABLE cloudshelf.books ADD CONSTRAINT books_price_not_negative CHECK (price >= 0);
            ALTER TABLE cloudshelf.orders ADD CONSTRAINT orders_total_not_negative CHECK (total >= 0);
            """);
        await command.ExecuteNonQueryAsync();
    }

    internal static async Task<List<(string, string)>> UsersAsync(SyncDatabase db)
    {
        await using var command = db.Services.DataSource.CreateCommand("SELECT user_id, email FROM cloudshelf.users ORDER BY user_id COLLATE \"C\"");
        var users = new List<(string, string)>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync()) users.Add((reader.GetString(0), reader.GetString(1)));
        return users;
    }

    private static async Task<List<string>> ReadFromAsync(string path, long offset)
    {
        // The server writes its log on its own schedule: wait until the last statement is there.
        for (var attempt = 0; ; attempt++)
        {
            await using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
            stream.Seek(offset, SeekOrigin.Begin);
            using var reader = new StreamReader(stream);
            var text = await reader.ReadToEndAsync();
            if (text.Contains("COMMIT", StringComparison.Ordinal) || attempt == 50)
                return text.Split('\n').ToList();
            await Task.Delay(100);
        }
    }
}
