using System.Globalization;
using CloudShelf.Sync.Drift;
using CloudShelf.Sync.IntegrationTests.Infrastructure;
using CloudShelf.Sync.Mapping;
using static CloudShelf.Sync.Testing.Items;
using AttributeValue = CloudShelf.Sync.Streams.AttributeValue;

namespace CloudShelf.Sync.IntegrationTests.Drift;

/// <summary>Drift detection and repair against DynamoDB Local and PostgreSQL.</summary>
[Collection(StreamsCollection.Name)]
public sealed class DriftTests(SyncServerFixture postgres, DynamoDbLocalFixture dynamo)
{
    private static IEnumerable<Dictionary<string, AttributeValue>> Books(int n) =>
        Enumerable.Range(0, n).Select(i =>
        {
            var book = Book($"b-{i:D4}", $"{i % 40}.{i % 100:D2}", i % 30);
            // An attribute without a column of its own: kept in attributes.
            book["format"] = S(i % 2 == 0 ? "hardback" : "paperback");
            return book;
        });

    private static IEnumerable<Dictionary<string, AttributeValue>> Orders(int n) => Enumerable.Range(0, n).Select(i => Order($"o-{i:D4}", 3));

    private Task<DriftScenario> ScenarioAsync(int books = 60, int orders = 20) =>
        DriftScenario.CreateAsync(postgres, dynamo, Books(books),
            Enumerable.Range(0, 10).Select(i => User($"u-{i:D4}", $"reader{i}@example.com")), Orders(orders));

    private static async Task TamperAsync(DriftScenario s)
    {
        await s.ExecuteAsync("DELETE FROM cloudshelf.books WHERE book_id = 'b-0001'");                                   // missing row
        await s.DeleteAsync(s.Names.Books, "bookId", "b-0002");                                                         // extra row
        await s.ExecuteAsync("UPDATE cloudshelf.books SET price = 1.01 WHERE book_id = 'b-0003'");                      // changed column
        await s.ExecuteAsync("""UPDATE cloudshelf.books SET attributes = '{"format":{"S":"audio"}}' WHERE book_id = 'b-0004'"""); // changed attribute in attributes
        await s.ExecuteAsync("UPDATE cloudshelf.order_items SET quantity = 99 WHERE order_id = 'o-0005' AND line_no = 2"); // changed order line
        await s.ExecuteAsync("DELETE FROM cloudshelf.order_items WHERE order_id = 'o-0006' AND line_no = 3");           // missing order line
    }

    private static readonly string[] Tampered =
    [
        "books b-0001 missing",
        "books b-0002 extra",
        "books b-0003 changed price",
        "books b-0004 changed format",
        "orders o-0005 changed items[2]",
        "orders o-0006 changed items[3]",
    ];

    [Fact]
    public async Task Each_kind_of_tampering_is_found_key_by_key_then_repaired()
    {
        await using var s = await ScenarioAsync();
        await TamperAsync(s);

        var found = await s.Detector().RunAsync(DriftScenario.Options(), CancellationToken.None);
        s.Db.Services.Metrics.Flush();

        Assert.Equal(Tampered, await s.OpenFindingsAsync());
        var books = found.Tables.Single(t => t.Table == "books");
        Assert.Equal((1, 1, 2, 0, 0), (books.Missing, books.Extra, books.Changed, books.InFlight, books.Repaired));
        Assert.Equal(2, found.Tables.Single(t => t.Table == "orders").Changed);
        Assert.True(found.FullCoverage);
        Assert.Equal(6, found.OpenDrift);
        // Counted per table as DataDriftCount; logged with keys and attribute names, never values.
        Assert.Contains("\"DataDriftCount\":4", s.Db.Output.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain("1.01", s.Db.Output.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain("audio", s.Db.Output.ToString(), StringComparison.Ordinal);

        var repaired = await s.Detector().RunAsync(DriftScenario.Options(repair: true), CancellationToken.None);
        var after = await s.Detector().RunAsync(DriftScenario.Options(), CancellationToken.None);

        Assert.Equal(6, repaired.Tables.Sum(t => t.Repaired));
        Assert.Equal(0, repaired.OpenDrift);
        Assert.Equal(0, after.Tables.Sum(t => t.Drift));
        Assert.Empty(await s.OpenFindingsAsync());
        Assert.Equal(6L, await s.Db.ScalarAsync<long>("SELECT count(*) FROM cloudshelf_sync.drift_findings WHERE resolution = 'repaired'"));
        await s.AssertStoresEqualAsync();
    }

    [Fact]
    public async Task Look_alikes_are_not_flagged_but_a_column_that_should_be_null_is()
    {
        var odd = Book("b-odd", "12.5");
        odd["stock"] = S("many");                                  // does not fit integer: NULL plus attributes
        odd["publishedDate"] = S("not-a-date");
        odd["sizes"] = AttributeValue.FromNS(["1.5", "20", "3"]);
        odd["updatedAt"] = S("2026-11-21T10:15:30Z");              // fits, and keeps its spelling in attributes
        var user = User("u-odd", "odd@example.com");
        user["preferences"] = AttributeValue.FromM(new Dictionary<string, AttributeValue> { ["pageSize"] = N("20"), ["ratio"] = N("0.5") });
        await using var s = await DriftScenario.CreateAsync(postgres, dynamo, [odd, Book("b-plain", "12.5")], [user], []);
        // The same content in other forms: a set in another order, numbers at another scale, jsonb members reordered.
        await s.ExecuteAsync("UPDATE cloudshelf.books SET categories = ARRAY['Literary Fiction', 'Fantasy'], price = 12.50, rating = 4.600");
        await s.ExecuteAsync("""
            UPDATE cloudshelf.books SET attributes = jsonb_set(attributes, '{sizes}', '{"NS":["3.00","1.50","2E+1"]}') WHERE book_id = 'b-odd'
            """);
        await s.ExecuteAsync("""UPDATE cloudshelf.users SET preferences = '{"ratio": 0.50, "pageSize": 20.0}' WHERE user_id = 'u-odd'""");

        var quiet = await s.Detector().RunAsync(DriftScenario.Options(), CancellationToken.None);
        await s.ExecuteAsync("UPDATE cloudshelf.books SET stock = 5 WHERE book_id = 'b-odd'");
        var loud = await s.Detector().RunAsync(DriftScenario.Options(), CancellationToken.None);

        Assert.Equal(0, quiet.Tables.Sum(t => t.Drift + t.InFlight));
        Assert.Equal(3, quiet.Tables.Sum(t => t.ItemsCompared));
        Assert.Equal(["books b-odd changed stock"], await s.OpenFindingsAsync());
        Assert.Equal(1, loud.OpenDrift);
    }

    [Fact]
    public async Task A_difference_with_a_pending_stream_change_is_in_flight_and_not_counted()
    {
        await using var s = await ScenarioAsync(books: 20, orders: 0);
        await s.ExecuteAsync("UPDATE cloudshelf.books SET title = 'Tampered' WHERE book_id = 'b-0007'");
        var pending = new PendingKeys("b-0007");

        var report = await s.Detector(pending).RunAsync(DriftScenario.Options(repair: true), CancellationToken.None);
        s.Db.Services.Metrics.Flush();

        var books = report.Tables.Single(t => t.Table == "books");
        Assert.Equal((0, 1, 0), (books.Drift, books.InFlight, books.Repaired));
        Assert.Equal(["books b-0007 changed title in-flight"], await s.OpenFindingsAsync());
        Assert.Equal(0, report.OpenDrift);
        Assert.Contains("\"DataDriftCount\":0", s.Db.Output.ToString(), StringComparison.Ordinal);
        // Not repaired: the change it waits for will bring the row to DynamoDB's state.
        Assert.Equal("Tampered", await s.Db.ScalarAsync<string>("SELECT title FROM cloudshelf.books WHERE book_id = 'b-0007'"));
    }

    [Fact]
    public async Task A_key_that_changes_while_it_is_compared_is_in_flight_and_not_counted()
    {
        await using var s = await ScenarioAsync(books: 20, orders: 0);
        await s.ExecuteAsync("UPDATE cloudshelf.books SET title = 'Tampered' WHERE book_id = 'b-0008'");
        var changed = Book("b-0008", "3.33");
        changed["format"] = S("hardback");
        // During the re-check's delay, the item changes in DynamoDB and the stream brings the change.
        var clock = new HookedClock(async () =>
        {
            await s.PutAsync(s.Names.Books, changed);
            await s.Db.HandleAsync(s.Stream(s.Names.Books, "MODIFY", "100", "bookId", changed));
        });

        var report = await s.Detector(time: clock).RunAsync(DriftScenario.Options(repair: true), CancellationToken.None);

        var books = report.Tables.Single(t => t.Table == "books");
        Assert.Equal((0, 1, 0), (books.Drift, books.InFlight, books.Repaired));
        Assert.Empty(await s.OpenFindingsAsync());
        await s.AssertStoresEqualAsync();
    }

    [Fact]
    public async Task A_change_made_after_the_repairs_read_survives_it()
    {
        await using var s = await ScenarioAsync(books: 20, orders: 0);
        await s.ExecuteAsync("UPDATE cloudshelf.books SET price = 1.01 WHERE book_id = 'b-0009'");
        await s.ExecuteAsync("INSERT INTO cloudshelf.books (book_id, title, sync_sequence) VALUES ('b-late', 'Gone', 0)");
        var newer = Book("b-0009", "7.77");
        newer["format"] = S("paperback");
        var created = Book("b-late", "8.88");
        // After the re-read and before the repair: the stream applies newer changes of both keys.
        var pending = new PendingKeys(after: async asked =>
        {
            if (asked.Contains("b-0009"))
            {
                await s.PutAsync(s.Names.Books, newer);
                await s.Db.HandleAsync(s.Stream(s.Names.Books, "MODIFY", "200", "bookId", newer));
            }
            if (asked.Contains("b-late"))
            {
                await s.PutAsync(s.Names.Books, created);
                await s.Db.HandleAsync(s.Stream(s.Names.Books, "INSERT", "201", "bookId", created));
            }
        });

        var report = await s.Detector(pending).RunAsync(DriftScenario.Options(repair: true), CancellationToken.None);

        var books = report.Tables.Single(t => t.Table == "books");
        Assert.Equal((0, 2), (books.Repaired, books.InFlight));
        Assert.Equal("7.77", await s.Db.ScalarAsync<string>("SELECT price::text FROM cloudshelf.books WHERE book_id = 'b-0009'"));
        Assert.Equal("200", await s.Db.ScalarAsync<string>("SELECT sync_sequence::text FROM cloudshelf.books WHERE book_id = 'b-0009'"));
        Assert.Equal("8.88", await s.Db.ScalarAsync<string>("SELECT price::text FROM cloudshelf.books WHERE book_id = 'b-late'"));
        await s.AssertStoresEqualAsync();
    }

    [Fact]
    public async Task Later_stream_changes_to_repaired_rows_still_apply_and_deletes_stay_deleted()
    {
        await using var s = await ScenarioAsync(books: 20, orders: 8);
        var streamed = Book("b-0010", "5.55");
        streamed["format"] = S("hardback");
        await s.Db.HandleAsync(s.Stream(s.Names.Books, "MODIFY", "300", "bookId", streamed));
        await s.PutAsync(s.Names.Books, streamed);
        await TamperAsync(s);
        await s.ExecuteAsync("UPDATE cloudshelf.books SET price = 0.01 WHERE book_id = 'b-0010'");

        var repaired = await s.Detector().RunAsync(DriftScenario.Options(repair: true), CancellationToken.None);
        // The repair kept the sequence number it read: 300 for the streamed row, 0 for the inserted one.
        var sequences = await s.Db.ScalarAsync<string>(
            "SELECT string_agg(book_id || '=' || sync_sequence, ',' ORDER BY book_id) FROM cloudshelf.books WHERE book_id IN ('b-0001', 'b-0003', 'b-0010')");
        var later1 = Book("b-0010", "6.66");
        var later2 = Book("b-0001", "4.44");
        var later3 = Book("b-0003", "2.22");
        await s.Db.HandleAsync(
            s.Stream(s.Names.Books, "MODIFY", "400", "bookId", later1), s.Stream(s.Names.Books, "MODIFY", "401", "bookId", later2),
            s.Stream(s.Names.Books, "MODIFY", "402", "bookId", later3));
        foreach (var item in new[] { later1, later2, later3 }) await s.PutAsync(s.Names.Books, item);
        // The repaired extra left a tombstone: an older change delivered late does not bring it back.
        await s.Db.HandleAsync(s.Stream(s.Names.Books, "MODIFY", "0", "bookId", Book("b-0002")));

        Assert.Equal(7, repaired.Tables.Sum(t => t.Repaired));
        Assert.Equal("b-0001=0,b-0003=0,b-0010=300", sequences);
        Assert.Equal("6.66", await s.Db.ScalarAsync<string>("SELECT price::text FROM cloudshelf.books WHERE book_id = 'b-0010'"));
        await s.AssertStoresEqualAsync();
        var after = await s.Detector().RunAsync(DriftScenario.Options(), CancellationToken.None);
        Assert.Equal(0, after.OpenDrift);
    }

    [Fact]
    public async Task A_repair_PostgreSQL_refuses_stays_drift_and_the_run_goes_on()
    {
        await using var s = await ScenarioAsync(books: 20, orders: 0);
        // Phase 1 handed u-0002's address to u-0001 as well: PostgreSQL's unique e-mail refuses that state.
        await s.PutAsync(s.Names.Users, User("u-0001", "reader2@example.com"));
        await s.ExecuteAsync("UPDATE cloudshelf.books SET price = 1.01 WHERE book_id = 'b-0003'");

        var report = await s.Detector().RunAsync(DriftScenario.Options(repair: true), CancellationToken.None);

        var users = report.Tables.Single(t => t.Table == "users");
        Assert.Equal((1, 0, 0), (users.Changed, users.Repaired, users.InFlight));
        Assert.Equal(1, report.Tables.Single(t => t.Table == "books").Repaired);
        Assert.Equal(["users u-0001 changed email"], await s.OpenFindingsAsync());
        Assert.Equal("reader1@example.com", await s.Db.ScalarAsync<string>("SELECT email FROM cloudshelf.users WHERE user_id = 'u-0001'"));
    }

    [Fact]
    public async Task Runs_with_a_tiny_time_budget_resume_the_pass_and_cover_everything()
    {
        await using var s = await ScenarioAsync(books: 200, orders: 20);
        await TamperAsync(s);
        var runs = 0;
        var compared = 0L;
        var covered = new HashSet<string>();
        do
        {
            var report = await s.Detector().RunAsync(DriftScenario.Options(budget: TimeSpan.FromTicks(1), pageSize: 10), CancellationToken.None);
            // A table whose pass is complete starts a new one in the next run: count each table's first pass only.
            foreach (var table in report.Tables.Where(t => !covered.Contains(t.Table)))
            {
                compared += table.ItemsCompared;
                if (table.FullCoverage) covered.Add(table.Table);
            }
            runs++;
        }
        while (covered.Count < 3 && runs < 200);

        Assert.Equal(3, covered.Count);
        Assert.True(runs > 3, $"{runs} runs: the budget did not bite");
        Assert.Equal(Tampered, await s.OpenFindingsAsync());
        // Every key of the pass was compared once: 199 items and 10 users, 20 orders, plus the extra row.
        Assert.Equal(199 + 10 + 20 + 1, compared);
        Assert.Equal(3L, await s.Db.ScalarAsync<long>("SELECT count(DISTINCT target_table) FROM cloudshelf_sync.drift_passes WHERE completed_at IS NOT NULL"));
        Assert.Equal(0L, await s.Db.ScalarAsync<long>(
            "SELECT count(*) FROM cloudshelf_sync.drift_seen_keys k JOIN cloudshelf_sync.drift_passes p USING (pass_id) WHERE p.completed_at IS NOT NULL"));
        // The next run starts a new pass.
        var next = await s.Detector().RunAsync(DriftScenario.Options(), CancellationToken.None);
        Assert.True(next.FullCoverage);
        Assert.Equal(6, next.OpenDrift);
    }

    [Fact]
    public async Task Sampled_mode_compares_a_fraction_of_the_segments_and_probes_sampled_rows_for_extras()
    {
        await using var s = await ScenarioAsync(books: 200, orders: 0);
        for (var i = 100; i < 120; i++)
            await s.ExecuteAsync(string.Create(CultureInfo.InvariantCulture, $"INSERT INTO cloudshelf.books (book_id, sync_sequence) VALUES ('x-{i}', 0)"));

        var part = await s.Detector().RunAsync(DriftScenario.Options(sample: 0.5), CancellationToken.None);
        var all = await s.Detector().RunAsync(DriftScenario.Options(sample: 1.0), CancellationToken.None);

        var books = part.Tables.Single(t => t.Table == "books");
        Assert.Equal("sample", part.Mode);
        Assert.Equal(0.5, books.Coverage);
        Assert.False(books.FullCoverage);
        Assert.InRange(books.Extra, 0, 20);
        Assert.Equal(0, books.Missing + books.Changed);
        var everything = all.Tables.Single(t => t.Table == "books");
        Assert.Equal((20, 0, 0), (everything.Extra, everything.Missing, everything.Changed));
        Assert.Equal(1.0, everything.Coverage);
        Assert.Equal(2L, await s.Db.ScalarAsync<long>("SELECT count(*) FROM cloudshelf_sync.drift_runs WHERE mode = 'sample' AND status = 'completed'"));
        Assert.Equal(0L, await s.Db.ScalarAsync<long>("SELECT count(*) FROM cloudshelf_sync.drift_passes"));
    }

    [Fact]
    public async Task Extras_at_the_edges_of_the_extras_search_pages_are_found_and_every_seen_row_is_compared_once()
    {
        // Pages of 1 item make extras pages of 20 rows: b-0000..b-0019, b-0020..b-0039, b-0040..b-0059.
        // Each page reads the seen keys of its own key range only; an edge read wrong would show as a
        // seen row probed and compared a second time, or as an extra not found.
        await using var s = await ScenarioAsync(books: 60, orders: 0);
        foreach (var key in new[] { "b-0019", "b-0020", "b-0059" }) await s.DeleteAsync(s.Names.Books, "bookId", key);

        var report = await s.Detector().RunAsync(DriftScenario.Options(pageSize: 1) with { Tables = ["books"] }, CancellationToken.None);

        var books = report.Tables.Single();
        Assert.True(books.FullCoverage);
        Assert.Equal(["books b-0019 extra", "books b-0020 extra", "books b-0059 extra"], await s.OpenFindingsAsync());
        Assert.Equal((57 + 3, 3, 0, 0), (books.ItemsCompared, books.Extra, books.Missing, books.Changed));
        Assert.Equal(60L, await s.Db.ScalarAsync<long>($"SELECT items_compared FROM cloudshelf_sync.drift_passes WHERE pass_id = {books.PassId}"));
    }

    [Fact]
    public async Task Findings_are_resolved_when_a_later_run_no_longer_sees_them()
    {
        await using var s = await ScenarioAsync(books: 20, orders: 0);
        await s.ExecuteAsync("UPDATE cloudshelf.books SET price = 1.01 WHERE book_id = 'b-0003'");
        await s.ExecuteAsync("INSERT INTO cloudshelf.books (book_id, sync_sequence) VALUES ('x-1', 0)");
        await s.Detector().RunAsync(DriftScenario.Options(), CancellationToken.None);
        Assert.Equal(["books b-0003 changed price", "books x-1 extra"], await s.OpenFindingsAsync());

        // Fixed by other means: the stream rewrites one row, an operator removes the other.
        await s.Db.HandleAsync(s.Stream(s.Names.Books, "MODIFY", "500", "bookId", Books(20).ElementAt(3)));
        await s.ExecuteAsync("DELETE FROM cloudshelf.books WHERE book_id = 'x-1'");
        var report = await s.Detector().RunAsync(DriftScenario.Options(), CancellationToken.None);

        Assert.Equal(0, report.OpenDrift);
        Assert.Empty(await s.OpenFindingsAsync());
        Assert.Equal("equal,not-seen", await s.Db.ScalarAsync<string>(
            "SELECT string_agg(resolution, ',' ORDER BY item_key) FROM cloudshelf_sync.drift_findings"));
    }

    [Fact]
    public async Task The_drift_detector_function_runs_the_engine_and_reports_per_table()
    {
        await using var s = await ScenarioAsync(books: 20, orders: 2);
        await s.ExecuteAsync("DELETE FROM cloudshelf.books WHERE book_id = 'b-0001'");
        var function = CloudShelf.Sync.Hosting.FunctionCatalog.Create("drift-detector", s.Db.Services);
        var context = new CloudShelf.Sync.Hosting.InvocationContext("req", DateTimeOffset.UtcNow.AddMinutes(5), null, null);

        var bytes = await function.HandleAsync(System.Text.Encoding.UTF8.GetBytes("""{"detail-type":"Scheduled Event","repair":true}"""), context, CancellationToken.None);

        using var response = System.Text.Json.JsonDocument.Parse(bytes);
        var books = response.RootElement.GetProperty("tables").EnumerateArray().Single(t => t.GetProperty("table").GetString() == "books");
        Assert.Equal(1, books.GetProperty("missing").GetInt32());
        Assert.Equal(1, books.GetProperty("repaired").GetInt32());
        Assert.Equal(0, response.RootElement.GetProperty("openDrift").GetInt32());
        await s.AssertStoresEqualAsync();
    }

    private async Task<(int Code, string Out, string Error)> CliAsync(DriftScenario s, params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        var environment = new CloudShelf.Sync.Configuration.DictionaryEnvironment(new Dictionary<string, string>
        {
            [CloudShelf.Sync.Configuration.SyncSettings.PostgresConnectionVariable] = s.Db.ConnectionString,
            [CloudShelf.Sync.Configuration.SyncSettings.DynamoDbEndpointVariable] = dynamo.Server.Endpoint,
            [CloudShelf.Sync.Configuration.SyncSettings.BooksTableVariable] = s.Names.Books,
            [CloudShelf.Sync.Configuration.SyncSettings.UsersTableVariable] = s.Names.Users,
            [CloudShelf.Sync.Configuration.SyncSettings.OrdersTableVariable] = s.Names.Orders,
        });
        var code = await CloudShelf.Sync.Cli.CliApplication.RunAsync(args,
            new CloudShelf.Sync.Cli.CliConsole(TextReader.Null, Stream.Null, output, error, false), environment, TimeProvider.System, CancellationToken.None);
        return (code, output.ToString(), error.ToString());
    }

    [Fact]
    public async Task The_drift_command_exits_1_on_drift_0_once_repaired_and_2_when_it_cannot_run()
    {
        await using var s = await ScenarioAsync(books: 20, orders: 8);
        await TamperAsync(s);

        var found = await CliAsync(s, "drift", "--tables", "books,orders", "--json");
        var repaired = await CliAsync(s, "drift", "--repair");
        var clean = await CliAsync(s, "drift", "--sample", "0.5");
        var badFraction = await CliAsync(s, "drift", "--sample", "2");
        var badTable = await CliAsync(s, "drift", "--tables", "carts");

        Assert.Equal(1, found.Code);
        using (var json = System.Text.Json.JsonDocument.Parse(found.Out))
        {
            Assert.Equal(6, json.RootElement.GetProperty("openDrift").GetInt32());
            var books = json.RootElement.GetProperty("tables").EnumerateArray().Single(t => t.GetProperty("table").GetString() == "books");
            Assert.Contains(books.GetProperty("findings").EnumerateArray(),
                f => f.GetProperty("key").GetString() == "b-0003" && f.GetProperty("attributes")[0].GetString() == "price");
        }
        Assert.Equal(0, repaired.Code);
        Assert.Contains("changed b-0003 price (repaired)", repaired.Out, StringComparison.Ordinal);
        Assert.Equal(0, clean.Code);
        Assert.Contains("no drift", clean.Out, StringComparison.Ordinal);
        Assert.Equal(2, badFraction.Code);
        Assert.Contains("--sample must be a fraction", badFraction.Error, StringComparison.Ordinal);
        Assert.Equal(2, badTable.Code);
        Assert.Contains("'carts' is not a synced table", badTable.Error, StringComparison.Ordinal);
        await s.AssertStoresEqualAsync();
    }

    [Fact]
    public async Task Two_concurrent_runs_on_the_same_pass_share_its_segments_and_find_each_difference_once()
    {
        await using var s = await ScenarioAsync();
        await TamperAsync(s);
        // Each run waits, after its first page, until the other has read one too: both are inside the pass at once.
        var meeting = new Meeting(2);
        var options = DriftScenario.Options() with { Tables = ["books"], ReadUnitsPerSecond = 1_000_000 };
        const string PassesSql = """
            SELECT string_agg(target_table || ' ' || items_compared || ' ' || drift_found || ' ' || (completed_at IS NOT NULL), ',' ORDER BY pass_id)
            FROM cloudshelf_sync.drift_passes
            """;

        var reports = await Task.WhenAll(
            s.Detector(limiter: _ => meeting.Join()).RunAsync(options, CancellationToken.None),
            s.Detector(limiter: _ => meeting.Join()).RunAsync(options, CancellationToken.None));
        var findings = await s.OpenFindingsAsync();
        var passes = await s.Db.ScalarAsync<string>(PassesSql);
        var single = (await s.Detector().RunAsync(DriftScenario.Options() with { Tables = ["books"] }, CancellationToken.None)).Tables.Single();

        Assert.Equal(Tampered.Where(t => t.StartsWith("books ", StringComparison.Ordinal)), findings);
        var pair = reports.Select(r => r.Tables.Single()).ToList();
        // The work was shared: each run compared a part, together exactly what one run alone compares and finds.
        Assert.All(pair, b => Assert.InRange(b.ItemsCompared, 1, single.ItemsCompared - 1));
        Assert.Equal((60, 1, 1, 2, 0), (single.ItemsCompared, single.Missing, single.Extra, single.Changed, single.InFlight));
        Assert.Equal((single.ItemsCompared, single.Missing, single.Extra, single.Changed, single.InFlight),
            (pair.Sum(t => t.ItemsCompared), pair.Sum(t => t.Missing), pair.Sum(t => t.Extra), pair.Sum(t => t.Changed), pair.Sum(t => t.InFlight)));
        // One pass, completed once by one of them, its counts not doubled.
        Assert.Single(pair, b => b.FullCoverage);
        Assert.Equal("books 60 4 true", passes);
        Assert.Equal(4, single.OpenDrift);
    }

    [Fact]
    public async Task A_key_with_a_stream_change_sync_lag_read_but_PostgreSQL_lacks_is_in_flight_until_the_change_is_found_lost()
    {
        await using var s = await ScenarioAsync(books: 20, orders: 2);
        foreach (var table in new[] { s.Names.Books, s.Names.Users, s.Names.Orders }) await s.EnableStreamAsync(table);
        var changed = Books(20).ElementAt(3);
        changed["price"] = N("77.70");
        var later = Books(20).ElementAt(5);
        later["price"] = N("55.50");
        await s.PutAsync(s.Names.Books, changed);
        await s.PutAsync(s.Names.Books, later);
        var clock = new CloudShelf.Sync.IntegrationTests.Lag.ManualClock(DateTimeOffset.UtcNow);
        var lag = s.LagMonitor(clock);
        await lag.RunAsync(CancellationToken.None);
        // stream-sync applies the later change only: the first stays in sync-lag's pending set.
        var records = await s.StreamRecordsAsync(s.Names.Books);
        Assert.Empty((await s.Db.HandleAsync(records[1])).BatchItemFailures);
        var options = DriftScenario.Options();

        // The production wiring: the detector asks sync-lag's pending set.
        var pending = await s.Db.Services.Drift.RunAsync(options, CancellationToken.None);
        await lag.RunAsync(CancellationToken.None);
        clock.Advance(s.Db.Services.Settings.Lag.LostGrace + TimeSpan.FromSeconds(1));
        var lost = (await lag.RunAsync(CancellationToken.None)).Tables.Single(t => t.Table == "books");
        var counted = await s.Db.Services.Drift.RunAsync(options, CancellationToken.None);
        var findings = await s.OpenFindingsAsync();
        var replay = await s.Db.Services.Replayer.ReplayAsync(null);
        var clean = await s.Db.Services.Drift.RunAsync(options, CancellationToken.None);

        var books = pending.Tables.Single(t => t.Table == "books");
        Assert.Equal((0, 1, 0), (books.Changed, books.InFlight, pending.OpenDrift));
        Assert.Equal("b-0003", Assert.Single(books.Findings).Key);
        Assert.True(books.Findings[0].InFlight);
        Assert.Equal((1L, 1), (lost.LostChanges, lost.NewlyLost));
        // Known lost, it is drift: counted until the quarantine's replay restores it.
        Assert.Equal((1, 0, 1), (counted.Tables.Single(t => t.Table == "books").Changed, counted.Tables.Single(t => t.Table == "books").InFlight, counted.OpenDrift));
        Assert.Equal(["books b-0003 changed price"], findings);
        Assert.Equal(1, replay.Applied);
        Assert.Equal(0, clean.OpenDrift);
        Assert.Equal(0, clean.Tables.Sum(t => t.InFlight + t.Changed + t.Missing + t.Extra));
        await s.AssertStoresEqualAsync();
    }

    /// <summary>Read limiters that hold each run at its first read until every run has made one.</summary>
    private sealed class Meeting(int runs)
    {
        private readonly TaskCompletionSource _all = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private int _arrived;

        public IReadCapacityLimiter Join() => new Limiter(this);

        private sealed class Limiter(Meeting meeting) : IReadCapacityLimiter
        {
            private int _joined;

            public Task WaitAsync(double units, CancellationToken cancellationToken)
            {
                if (Interlocked.Exchange(ref _joined, 1) == 0 && Interlocked.Increment(ref meeting._arrived) == meeting._runs)
                    meeting._all.TrySetResult();
                // Bounded, so a run that never meets the other fails the test instead of hanging it.
                return meeting._all.Task.WaitAsync(TimeSpan.FromMinutes(2), cancellationToken);
            }
        }

        private readonly int _runs = runs;
    }

    /// <summary>A stream audit stand-in: the keys it names have a change not yet applied; optionally acts when asked.</summary>
    private sealed class PendingKeys(params string[] keys) : IPendingChanges
    {
        private readonly Func<IReadOnlyCollection<string>, Task>? _after;

        public PendingKeys(Func<IReadOnlyCollection<string>, Task> after) : this() => _after = after;

        public async Task<IReadOnlySet<string>> PendingAsync(TableMapping table, IReadOnlyCollection<string> asked, CancellationToken cancellationToken)
        {
            if (_after is not null) await _after(asked);
            return asked.Where(keys.Contains).ToHashSet(StringComparer.Ordinal);
        }
    }

    /// <summary>The system clock, except that the first timer (the re-check's delay) runs an action before it fires.</summary>
    private sealed class HookedClock(Func<Task> action) : TimeProvider
    {
        private int _fired;

        public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
        {
            if (Interlocked.Exchange(ref _fired, 1) == 1) return System.CreateTimer(callback, state, dueTime, period);
            var timer = new ManualTimer();
            _ = Task.Run(async () =>
            {
                await action();
                callback(state);
            });
            return timer;
        }

        private sealed class ManualTimer : ITimer
        {
            public bool Change(TimeSpan dueTime, TimeSpan period) => true;

            public void Dispose()
            {
            }

            public ValueTask DisposeAsync() => ValueTask.CompletedTask;
        }
    }
}
