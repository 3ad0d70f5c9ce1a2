using System.Globalization;
using System.Text.RegularExpressions;
using CloudShelf.Sync.IntegrationTests.Infrastructure;
using CloudShelf.Sync.Streams;
using CloudShelf.Sync.Testing;
using Npgsql;
using Xunit.Abstractions;
using static CloudShelf.Sync.Testing.Items;
using static CloudShelf.Sync.Testing.StreamEvents;

namespace CloudShelf.Sync.IntegrationTests.StreamSync;

/// <summary>
/// What a batch costs PostgreSQL, read from what the server itself logged
/// (<c>log_statement = all</c>): the statements of a batch, and whether they arrive prepared.
/// </summary>
public sealed partial class StatementShapeTests(ITestOutputHelper output)
{
    private const int Warmup = 15;

    [Fact]
    public async Task A_books_batch_on_the_happy_path_sends_five_statements_and_its_three_set_based_ones_prepared()
    {
        // Protection: the per-batch statements were meant to be prepared once per connection, but the
        // check for an explicit Max Auto Prepare was always true, so every batch parsed and planned
        // them again. Also pins what the happy path sends: no savepoint, no quarantine lookup, no
        // catalog query after the first batch. (In round trips: BEGIN rides with the merge and the
        // recheck in one pipelined batch, then COMMIT, then the batch statistics: three.)
        await using var server = await PostgresServer.StartThrowawayAsync();
        await using var services = await StatementLog.CreateLoggedServicesAsync(server);

        // Npgsql prepares a statement once a connection has run it a few times (AutoPrepareMinUsages,
        // 5), and the pool hands out its idle connections in turn.
        var sequence = 1000;
        for (var round = 0; round < Warmup; round++)
            await services.StreamSync.HandleAsync(Event(BookBatch(round, ref sequence)), CancellationToken.None);
        var logStart = new FileInfo(server.LogFile!).Length;

        var inserts = await services.StreamSync.HandleAsync(Event(BookBatch(100, ref sequence)), CancellationToken.None);
        var modifies = await services.StreamSync.HandleAsync(Event(BookBatch(100, ref sequence, modify: true)), CancellationToken.None);
        Assert.Empty(inserts.BatchItemFailures);
        Assert.Empty(modifies.BatchItemFailures);
        await using (var count = services.DataSource.CreateCommand("SELECT count(*) FROM cloudshelf.books WHERE sync_sequence > 1000 + " + (Warmup * 20).ToString(CultureInfo.InvariantCulture)))
            Assert.Equal(20L, await count.ExecuteScalarAsync());

        var statements = await StatementsAfterAsync(server.LogFile!, logStart, expected: 10);
        foreach (var s in statements) output.WriteLine($"{(s.Prepared ? "prepared" : "unnamed ")} {s.Sql}");
        string[] batch = ["BEGIN", "INSERT INTO cloudshelf.books", "DELETE FROM cloudshelf.books", "COMMIT", "WITH pruned AS"];
        Assert.Equal([.. batch, .. batch], statements.Select(s => batch.First(start => s.Sql.StartsWith(start, StringComparison.Ordinal))));
        Assert.All(statements.Where(s => s.Sql is not ("COMMIT" or "BEGIN") && !s.Sql.StartsWith("BEGIN ", StringComparison.Ordinal)),
            s => Assert.True(s.Prepared, $"not prepared: {s.Sql}"));
    }

    private static DynamoDBStreamRecord[] BookBatch(int round, ref int sequence, bool modify = false)
    {
        var records = new DynamoDBStreamRecord[20];
        for (var i = 0; i < records.Length; i++)
        {
            var number = (sequence++).ToString(CultureInfo.InvariantCulture);
            var book = Book($"book-{round:D3}-{i:D2}", price: modify ? "19.99" : "24.99");
            records[i] = modify ? Modify(Books, number, book) : Insert(Books, number, book);
        }
        return records;
    }

    /// <summary>
    /// The statements logged after <paramref name="offset"/>, without the session resets Npgsql
    /// sends ahead of the first statement on a reused pooled connection (they ride along with it).
    /// </summary>
    private static async Task<List<(string Sql, bool Prepared)>> StatementsAfterAsync(string path, long offset, int expected)
    {
        // The server writes its log on its own schedule: wait until the statements are there.
        for (var attempt = 0; ; attempt++)
        {
            await using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
            stream.Seek(offset, SeekOrigin.Begin);
            using var reader = new StreamReader(stream);
            var statements = new List<(string, bool)>();
            foreach (var line in (await reader.ReadToEndAsync()).Split('\n'))
            {
                var match = StatementLine().Match(line);
                if (!match.Success) continue;
                var sql = match.Groups[2].Value.Trim();
                if (IsSessionReset(sql)) continue;
                statements.Add((sql, match.Groups[1].Value.StartsWith("execute ", StringComparison.Ordinal)
                                     && !match.Groups[1].Value.Contains("<unnamed>", StringComparison.Ordinal)));
            }
            if (statements.Count >= expected || attempt == 50) return statements.Take(expected).ToList();
            await Task.Delay(100);
        }
    }

    private static bool IsSessionReset(string sql) =>
        sql.StartsWith("DISCARD ALL", StringComparison.Ordinal) || sql.StartsWith("SET SESSION AUTHORIZATION DEFAULT", StringComparison.Ordinal)
        || sql.StartsWith("RESET ALL", StringComparison.Ordinal) || sql.StartsWith("CLOSE ALL", StringComparison.Ordinal)
        || sql.StartsWith("UNLISTEN", StringComparison.Ordinal) || sql.StartsWith("SELECT pg_advisory_unlock_all", StringComparison.Ordinal)
        || sql.StartsWith("DISCARD", StringComparison.Ordinal);

    // "<pid>|LOG:  statement: COMMIT", "<pid>|LOG:  execute <unnamed>: INSERT ..." or, prepared, "execute _auto3: INSERT ..."
    [GeneratedRegex(@"^\d+\|LOG:\s+(statement|execute [^:]+):\s*(.*)$")]
    private static partial Regex StatementLine();
}
