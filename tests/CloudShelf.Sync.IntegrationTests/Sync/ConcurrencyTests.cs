using System.Globalization;
using CloudShelf.Sync.IntegrationTests.Infrastructure;
using CloudShelf.Sync.Streams;
using static CloudShelf.Sync.Testing.Items;
using static CloudShelf.Sync.Testing.StreamEvents;

namespace CloudShelf.Sync.IntegrationTests.Sync;

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
}
