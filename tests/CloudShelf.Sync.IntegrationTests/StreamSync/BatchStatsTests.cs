using CloudShelf.Sync.IntegrationTests.Infrastructure;
using CloudShelf.Sync.IntegrationTests.Lag;
using CloudShelf.Sync.Postgres;
using CloudShelf.Sync.StreamSync;
using static CloudShelf.Sync.Testing.Items;
using static CloudShelf.Sync.Testing.StreamEvents;

namespace CloudShelf.Sync.IntegrationTests.StreamSync;

[Collection(SyncServerCollection.Name)]
public sealed class BatchStatsTests(SyncServerFixture fixture)
{
    private static readonly DateTimeOffset Start = new(2026, 11, 30, 8, 0, 0, TimeSpan.Zero);

    [Fact]
    public async Task The_error_rate_counts_only_the_batches_of_the_last_hour()
    {
        await using var db = await SyncDatabase.CreateAsync(fixture);
        var clock = new ManualClock(Start);
        var stats = new BatchStatsStore(db.Services.DataSource, clock);

        await stats.RecordAsync([new TableBatchCounts("books", 0, 0, 0, 50)], CancellationToken.None);
        clock.Advance(TimeSpan.FromMinutes(30));
        await stats.RecordAsync([new TableBatchCounts("books", 98, 7, 1, 0), new TableBatchCounts("users", 0, 0, 0, 1)], CancellationToken.None);
        clock.Advance(TimeSpan.FromMinutes(31));

        // The first batch is 61 minutes old; the second 31, and the skipped records never count.
        var rate = await stats.ErrorRateAsync(TimeSpan.FromHours(1), CancellationToken.None);
        Assert.Equal(new ErrorRate(98, 1, 1), rate);
        Assert.Equal(0.02, rate.Rate, 12);
        clock.Advance(TimeSpan.FromMinutes(30));
        Assert.Equal(new ErrorRate(0, 0, 0), await stats.ErrorRateAsync(TimeSpan.FromHours(1), CancellationToken.None));
    }

    [Fact]
    public async Task Stream_sync_writes_one_row_per_batch_and_table_and_prunes_rows_older_than_two_days()
    {
        await using var db = await SyncDatabase.CreateAsync(fixture);
        await db.ScalarAsync<int>("""
            INSERT INTO cloudshelf_sync.batch_stats (finished_at, target_table, records, applied, skipped, quarantined, failed)
            VALUES (now() - interval '3 days', 'books', 1, 1, 0, 0, 0) RETURNING 1
            """);

        await db.HandleAsync(
            Insert(Books, "100", Book("book-1")), Modify(Books, "101", Book("book-1", title: "Later")),
            Insert(Users, "102", User("user-1", "one@example.com")), Insert(Users, "103", User("user-2", "one@example.com")));

        Assert.Equal(
            "books 2 2 0 0 0;users 2 1 0 1 0",
            await db.ScalarAsync<string>("""
                SELECT string_agg(concat_ws(' ', target_table, records, applied, skipped, quarantined, failed), ';' ORDER BY target_table)
                FROM cloudshelf_sync.batch_stats
                """));
    }
}
