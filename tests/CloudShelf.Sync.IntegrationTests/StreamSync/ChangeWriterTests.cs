using CloudShelf.Sync.IntegrationTests.Infrastructure;
using CloudShelf.Sync.Backfill;
using CloudShelf.Sync.Mapping;
using CloudShelf.Sync.Postgres;
using CloudShelf.Sync.StreamSync;
using static CloudShelf.Sync.Testing.Items;
using static CloudShelf.Sync.Testing.StreamEvents;

namespace CloudShelf.Sync.IntegrationTests.StreamSync;

[Collection(SyncServerCollection.Name)]
public sealed class ChangeWriterTests(SyncServerFixture fixture)
{
    private static Change BackfillChange(SyncDatabase db, Dictionary<string, Streams.AttributeValue> item)
    {
        var table = db.Services.Mapping.ForSourceTable(Books)!;
        var row = ItemMapper.Map(table, item);
        return new Change
        {
            Table = table, Key = row.Key, SequenceNumber = Backfiller.BackfillSequence, Kind = ChangeKind.Upsert, Row = row,
            Records = [new SourceRecord(Insert(Books, Backfiller.BackfillSequence, item), Books)],
        };
    }

    /// <summary>The writer as the backfill gets it (SyncServices gives the stream and the backfill one ChangeWriter).</summary>
    private static ChangeWriter Writer(SyncDatabase db) => new(db.Services.DataSource, db.Services.Mapping);

    private static async Task ExecuteAsync(SyncDatabase db, string sql)
    {
        await using var command = db.Services.DataSource.CreateCommand(sql);
        await command.ExecuteNonQueryAsync();
    }

    /// <summary>Makes the first <paramref name="failures"/> statements writing books fail with <paramref name="sqlState"/> (a sequence is not rolled back).</summary>
    private static Task LoseRacesAsync(SyncDatabase db, string sqlState, int failures) => ExecuteAsync(db, $"""
        CREATE SEQUENCE cloudshelf_sync.lost_races;
        CREATE FUNCTION cloudshelf_sync.lose_race() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF nextval('cloudshelf_sync.lost_races') <= {failures} THEN
                RAISE EXCEPTION 'simulated lost race' USING ERRCODE = '{sqlState}';
            END IF;
            RETURN NULL;
        END $$;
        CREATE TRIGGER lose_race BEFORE INSERT ON cloudshelf.books FOR EACH STATEMENT EXECUTE FUNCTION cloudshelf_sync.lose_race();
        """);

    [Fact]
    public async Task The_writer_itself_retries_a_deadlock_so_the_backfill_gets_it_too()
    {
        // Protection: the conflict retry lived in the stream's processor, and the backfill (same writer) had none.
        await using var db = await SyncDatabase.CreateAsync(fixture);
        await LoseRacesAsync(db, "40P01", failures: 2);

        // The backfill hands its pages to this writer as they are: no retry loop of its own.
        var result = await Writer(db).WriteAsync([BackfillChange(db, Book("book-1"))], [], CancellationToken.None);

        Assert.Single(result.Won);
        Assert.Equal(3L, await db.ScalarAsync<long>("SELECT last_value FROM cloudshelf_sync.lost_races"));
        Assert.Equal(1L, await db.ScalarAsync<long>("SELECT count(*) FROM cloudshelf.books WHERE sync_sequence = 0"));
    }

    [Fact]
    public async Task A_serialization_failure_that_persists_fails_the_records_after_three_attempts()
    {
        await using var db = await SyncDatabase.CreateAsync(fixture);
        await LoseRacesAsync(db, "40001", failures: 100);

        var result = await db.ProcessAsync(Insert(Books, "1", Book("book-1")), Insert(Users, "2", User("user-1", "one@example.com")));

        Assert.Equal([RecordOutcome.Failed, RecordOutcome.Failed], result.Outcomes);
        Assert.Equal((long)ChangeWriter.MaxConflictAttempts, await db.ScalarAsync<long>("SELECT last_value FROM cloudshelf_sync.lost_races"));
        Assert.Equal(0L, await db.ScalarAsync<long>("SELECT count(*) FROM cloudshelf.users"));
    }

    [Fact]
    public async Task A_backfill_page_racing_a_stream_delete_never_brings_the_deleted_item_back()
    {
        // Protection: the backfill's merge read no tombstone, waited for the delete's row lock, and would
        // have resurrected the item; the recheck sees the committed tombstone and removes it again.
        await using var db = await SyncDatabase.CreateAsync(fixture);
        // The stream's delete transaction stops, with its work done, at a gate the test holds.
        await ExecuteAsync(db, """
            CREATE FUNCTION cloudshelf_sync.gate() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN PERFORM pg_advisory_xact_lock_shared(7007); RETURN NULL; END $$;
            CREATE TRIGGER gate AFTER INSERT ON cloudshelf_sync.tombstones FOR EACH STATEMENT EXECUTE FUNCTION cloudshelf_sync.gate();
            """);
        await using var gate = await db.Services.DataSource.OpenConnectionAsync();
        await using (var hold = new Npgsql.NpgsqlCommand("SELECT pg_advisory_lock(7007)", gate)) await hold.ExecuteNonQueryAsync();

        // The item existed before the stream was enabled; the backfill scanned it just before the stream deleted it.
        var delete = Task.Run(() => db.ProcessAsync(Remove(Books, "500", "book-1")));
        await WaitForLockWaitersAsync(db, 1);
        var backfill = Task.Run(() => Writer(db).WriteAsync([BackfillChange(db, Book("book-1"))], [], CancellationToken.None));
        await WaitForLockWaitersAsync(db, 2);
        await using (var release = new Npgsql.NpgsqlCommand("SELECT pg_advisory_unlock(7007)", gate)) await release.ExecuteNonQueryAsync();

        Assert.Equal(RecordOutcome.Applied, Assert.Single((await delete).Outcomes));
        Assert.Empty((await backfill).Won);
        Assert.Equal(0L, await db.ScalarAsync<long>("SELECT count(*) FROM cloudshelf.books"));
        Assert.Equal(500L, await db.ScalarAsync<decimal>("SELECT sequence_number FROM cloudshelf_sync.tombstones WHERE item_key = 'book-1'"));
    }

    private static async Task WaitForLockWaitersAsync(SyncDatabase db, int waiters)
    {
        for (var i = 0; i < 400; i++)
        {
            if (await db.ScalarAsync<long>("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = current_database()") >= waiters)
                return;
            await Task.Delay(25);
        }
        throw new TimeoutException($"Fewer than {waiters} transactions ever waited for a lock.");
    }
}
