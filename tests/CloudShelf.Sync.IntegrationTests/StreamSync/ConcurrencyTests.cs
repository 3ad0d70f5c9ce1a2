using System.Globalization;
using CloudShelf.Sync.IntegrationTests.Infrastructure;
using CloudShelf.Sync.Streams;
using static CloudShelf.Sync.Testing.Items;
using static CloudShelf.Sync.Testing.StreamEvents;

namespace CloudShelf.Sync.IntegrationTests.StreamSync;

[Collection(SyncServerCollection.Name)]
public sealed class ConcurrencyTests(SyncServerFixture fixture)
{
    [Fact]
    public async Task Concurrent_batches_over_the_same_items_neither_deadlock_nor_let_an_older_change_win()
    {
        await using var db = await SyncDatabase.CreateAsync(fixture);
        var random = new Random(20261125);
        const int batches = 10, keys = 150;
        var expected = new Dictionary<string, (long Sequence, string? Price)>();
        var events = new List<DynamoDBEvent>();
        var sequence = 1000L;
        for (var b = 0; b < batches; b++)
        {
            var records = new List<DynamoDBStreamRecord>();
            // Each batch touches the keys in its own random order, as shards would.
            foreach (var k in Enumerable.Range(0, keys).OrderBy(_ => random.Next()).Take(100))
            {
                var key = $"book-{k:D4}";
                var seq = sequence + random.Next(1, 1_000_000_000);
                var remove = random.Next(4) == 0;
                var price = remove ? null : $"{random.Next(1, 100)}.{random.Next(10, 99)}";
                records.Add(remove
                    ? Remove(Books, seq.ToString(CultureInfo.InvariantCulture), key)
                    : Modify(Books, seq.ToString(CultureInfo.InvariantCulture), Book(key, price!)));
                if (!expected.TryGetValue(key, out var current) || current.Sequence < seq) expected[key] = (seq, price);
            }
            events.Add(Event(records));
        }

        var responses = await Task.WhenAll(events.Select(e => Task.Run(() => db.Services.StreamSync.HandleAsync(e, CancellationToken.None))));

        Assert.All(responses, r => Assert.Empty(r.BatchItemFailures));
        Assert.DoesNotContain("40P01", db.Output.ToString(), StringComparison.Ordinal);
        await using var command = db.Services.DataSource.CreateCommand("SELECT book_id, price::text FROM cloudshelf.books");
        var actual = new Dictionary<string, string>();
        await using (var reader = await command.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync()) actual[reader.GetString(0)] = reader.GetString(1);
        }
        var live = expected.Where(e => e.Value.Price is not null).ToDictionary(e => e.Key, e => e.Value.Price!);
        Assert.Equal(live.OrderBy(e => e.Key, StringComparer.Ordinal), actual.OrderBy(e => e.Key, StringComparer.Ordinal));
    }

    [Fact]
    public async Task Concurrent_batches_over_two_tables_in_opposite_orders_do_not_deadlock()
    {
        // Protection: the cross-table lock order. Half the batches list orders first, half books first;
        // the writer must still lock books before orders in every transaction (a deadlock shows as a retried 40P01).
        await using var db = await SyncDatabase.CreateAsync(fixture);
        var random = new Random(20261201);
        const int batches = 10, keys = 60;
        var expected = new Dictionary<(string, string), (long Sequence, bool Removed)>();
        var events = new List<DynamoDBEvent>();
        for (var b = 0; b < batches; b++)
        {
            var books = new List<DynamoDBStreamRecord>();
            var orders = new List<DynamoDBStreamRecord>();
            foreach (var k in Enumerable.Range(0, keys).OrderBy(_ => random.Next()).Take(40))
            {
                var seq = 1000L + random.Next(1, 1_000_000_000);
                var text = seq.ToString(CultureInfo.InvariantCulture);
                var remove = random.Next(4) == 0;
                var book = $"book-{k:D3}";
                var order = $"order-{k:D3}";
                books.Add(remove ? Remove(Books, text, book) : Modify(Books, text, Book(book, price: "1.00")));
                orders.Add(remove ? Remove(Orders, text, order) : Modify(Orders, text, Order(order, 1 + k % 3)));
                foreach (var key in new[] { ("books", book), ("orders", order) })
                {
                    if (!expected.TryGetValue(key, out var current) || current.Sequence < seq) expected[key] = (seq, remove);
                }
            }
            events.Add(Event(b % 2 == 0 ? [.. orders, .. books] : [.. books, .. orders]));
        }

        var responses = await Task.WhenAll(events.Select(e => Task.Run(() => db.Services.StreamSync.HandleAsync(e, CancellationToken.None))));

        Assert.All(responses, r => Assert.Empty(r.BatchItemFailures));
        Assert.DoesNotContain("40P01", db.Output.ToString(), StringComparison.Ordinal);
        var actual = new List<(string, string, decimal)>();
        await using (var command = db.Services.DataSource.CreateCommand(
            "SELECT 'books', book_id, sync_sequence FROM cloudshelf.books UNION ALL SELECT 'orders', order_id, sync_sequence FROM cloudshelf.orders"))
        await using (var reader = await command.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync()) actual.Add((reader.GetString(0), reader.GetString(1), reader.GetDecimal(2)));
        }
        var live = expected.Where(e => !e.Value.Removed).Select(e => (e.Key.Item1, e.Key.Item2, (decimal)e.Value.Sequence));
        Assert.Equal(live.Order(), actual.Order());
    }

    [Fact]
    public async Task A_delete_committed_while_an_older_change_waits_for_the_row_is_not_undone()
    {
        await using var db = await SyncDatabase.CreateAsync(fixture);
        await db.HandleAsync(Insert(Books, "1", Book("book-1")));
        // Another batch deletes book-1 (sequence 10) and has not committed yet.
        await using var other = await db.Services.DataSource.OpenConnectionAsync();
        await using var transaction = await other.BeginTransactionAsync();
        await using (var delete = new Npgsql.NpgsqlCommand("""
            DELETE FROM cloudshelf.books WHERE book_id = 'book-1';
            INSERT INTO cloudshelf_sync.tombstones (target_table, item_key, sequence_number) VALUES ('books', 'book-1', 10);
            """, other, transaction))
        {
            await delete.ExecuteNonQueryAsync();
        }

        // An older change of the item arrives: its merge reads no tombstone yet, then waits for the row.
        var late = Task.Run(() => db.ProcessAsync(Modify(Books, "5", Book("book-1", price: "1.00"))));
        await WaitUntilBlockedAsync(db);
        await transaction.CommitAsync();
        var result = await late;

        Assert.Equal(CloudShelf.Sync.StreamSync.RecordOutcome.Superseded, Assert.Single(result.Outcomes));
        Assert.Equal(0L, await db.ScalarAsync<long>("SELECT count(*) FROM cloudshelf.books"));
    }

    private static async Task WaitUntilBlockedAsync(SyncDatabase db)
    {
        for (var i = 0; i < 200; i++)
        {
            if (await db.ScalarAsync<long>("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = current_database()") > 0)
                return;
            await Task.Delay(25);
        }
        throw new TimeoutException("The sync's transaction never waited for the row lock.");
    }
}
