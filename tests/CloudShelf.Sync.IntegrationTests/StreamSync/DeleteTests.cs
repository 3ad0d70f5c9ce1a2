using CloudShelf.Sync.IntegrationTests.Infrastructure;
using CloudShelf.Sync.StreamSync;
using static CloudShelf.Sync.Testing.Items;
using static CloudShelf.Sync.Testing.StreamEvents;

namespace CloudShelf.Sync.IntegrationTests.StreamSync;

[Collection(SyncServerCollection.Name)]
public sealed class DeleteTests(SyncServerFixture fixture)
{
    [Fact]
    public async Task Deletes_tombstones_and_the_ordering_guard_work_after_Phase_2_adds_NOT_NULL_to_mapped_columns()
    {
        // Protection: a delete was merged as an all-NULL placeholder row, so one NOT NULL constraint made every REMOVE fail.
        await using var db = await SyncDatabase.CreateAsync(fixture);
        await db.HandleAsync(
            Insert(Books, "1", Book("book-1")),
            Insert(Users, "2", User("user-1", "one@example.com")),
            Insert(Orders, "3", Order("order-1", 2)));
        await using (var phase2 = db.Services.DataSource.CreateCommand("""
            ALTER TABLE cloudshelf.books ALTER title SET NOT NULL, ALTER price SET NOT NULL, ALTER published_date SET NOT NULL;
            ALTER TABLE cloudshelf.users ALTER email SET NOT NULL;
            ALTER TABLE cloudshelf.orders ALTER status SET NOT NULL, ALTER created_at SET NOT NULL;
            """))
        {
            await phase2.ExecuteNonQueryAsync();
        }

        // Deletes of stored items and of items never seen (several users at once: placeholders must not collide on email).
        var deletes = await db.ProcessAsync(
            Remove(Books, "10", "book-1"),
            Remove(Books, "11", "book-never-seen"),
            Remove(Users, "12", "user-1"),
            Remove(Users, "13", "user-2"),
            Remove(Users, "14", "user-3"),
            Remove(Orders, "15", "order-1", ttl: true));
        Assert.All(deletes.Outcomes, o => Assert.Equal(RecordOutcome.Applied, o));

        // Older changes arriving afterwards change nothing.
        var late = await db.ProcessAsync(
            Modify(Books, "5", Book("book-1", price: "1.00")),
            Insert(Books, "6", Book("book-never-seen")),
            Modify(Users, "7", User("user-2", "two@example.com")),
            Modify(Orders, "8", Order("order-1", 3)));
        Assert.All(late.Outcomes, o => Assert.Equal(RecordOutcome.Superseded, o));

        Assert.Empty(await db.Services.Quarantine.ListAsync());
        Assert.Equal(0L, await db.ScalarAsync<long>("""
            SELECT (SELECT count(*) FROM cloudshelf.books) + (SELECT count(*) FROM cloudshelf.users)
                 + (SELECT count(*) FROM cloudshelf.orders) + (SELECT count(*) FROM cloudshelf.order_items)
            """));
        Assert.Equal(
            "books/book-1/10/f books/book-never-seen/11/f orders/order-1/15/t users/user-1/12/f users/user-2/13/f users/user-3/14/f",
            await db.ScalarAsync<string>("""
                SELECT string_agg(target_table || '/' || item_key || '/' || sequence_number || '/' || CASE WHEN ttl_delete THEN 't' ELSE 'f' END,
                                  ' ' ORDER BY target_table, item_key COLLATE "C")
                FROM cloudshelf_sync.tombstones
                """));

        // A newer change after the delete brings the item back, NOT NULL columns and all.
        Assert.Equal(RecordOutcome.Applied, Assert.Single((await db.ProcessAsync(Insert(Books, "20", Book("book-1")))).Outcomes));
        Assert.Equal("Piranesi", await db.ScalarAsync<string>("SELECT title FROM cloudshelf.books WHERE book_id = 'book-1'"));
    }
}
