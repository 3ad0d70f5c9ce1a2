using System.Text.Json;
using CloudShelf.Sync.Mapping;
using CloudShelf.Sync.Streams;
using CloudShelf.Sync.Testing;
using CloudShelf.Sync.Tests.Streams;
using static CloudShelf.Sync.Testing.Items;

namespace CloudShelf.Sync.Tests.Mapping;

public sealed class ItemMapperTests
{
    private static readonly SyncMapping Mapping = CloudShelfMapping.Create(SourceTableNames.Default);
    private static readonly TableMapping BooksTable = Mapping.ForSourceTable(StreamEvents.Books)!;
    private static readonly TableMapping UsersTable = Mapping.ForSourceTable(StreamEvents.Users)!;
    private static readonly TableMapping OrdersTable = Mapping.ForSourceTable(StreamEvents.Orders)!;

    private static object? Column(TableMapping table, MappedRow row, string attribute)
    {
        var index = table.Columns.Select(c => c.Attribute).ToList().IndexOf(attribute);
        Assert.True(index >= 0, $"No column for {attribute}");
        return row.Values[index];
    }

    private static Dictionary<string, AttributeValue> Kept(MappedRow row) => DynamoJson.ParseItem(row.AttributesJson);

    private static Dictionary<string, AttributeValue> Rebuild(TableMapping table, MappedRow row) =>
        ItemMapper.Rebuild(table, row.Key, row.Values, row.AttributesJson, row.Children);

    /// <summary>Maps the item, rebuilds it from the row and asserts the rebuilt item is the original.</summary>
    private static MappedRow AssertRoundTrip(TableMapping table, IReadOnlyDictionary<string, AttributeValue> item)
    {
        var row = ItemMapper.Map(table, item);
        var rebuilt = Rebuild(table, row);
        Assert.True(ItemEquality.Equal(item, rebuilt),
            $"Rebuilt item differs.\nOriginal: {DynamoJson.SerializeItem(item)}\nRebuilt:  {DynamoJson.SerializeItem(rebuilt)}");
        return row;
    }

    private static AttributeValue Map(params (string Name, AttributeValue Value)[] entries) =>
        AttributeValue.FromM(entries.ToDictionary(e => e.Name, e => e.Value, StringComparer.Ordinal));

    private static AttributeValue Line(string bookId, string quantity = "1", string unitPrice = "9.99") =>
        Map(("bookId", S(bookId)), ("title", S("Title of " + bookId)), ("quantity", N(quantity)), ("unitPrice", N(unitPrice)));

    [Fact]
    public void Every_attribute_type_round_trips_through_the_row()
    {
        var book = Book("book-1");
        book["cover"] = AttributeValue.FromB([0x89, 0x50, 0x4E, 0x47]);
        book["tags"] = AttributeValue.FromSS(["signed", "first edition"]);
        book["editionYears"] = AttributeValue.FromNS(["1987", "2003.5"]);
        book["scans"] = AttributeValue.FromBS([[0xFF, 0xD8], [0x00]]);
        book["metadata"] = Map(("publisher", Map(("name", S("Vintage")))), ("awards", AttributeValue.FromL([Map(("year", N("1988")))])));
        book["series"] = AttributeValue.FromL([S("standalone"), N("1"), AttributeValue.True, AttributeValue.Null, AttributeValue.FromSS(["a"])]);
        book["discontinuedAt"] = AttributeValue.Null;
        book["featured"] = AttributeValue.False;
        book["ratingCount"] = N("1204");

        var row = AssertRoundTrip(BooksTable, book);

        Assert.Empty(row.IllFitting);
        Assert.Equal(
            ["cover", "discontinuedAt", "editionYears", "featured", "metadata", "ratingCount", "scans", "series", "tags"],
            Kept(row).Keys.Order(StringComparer.Ordinal));
    }

    [Fact]
    public void A_book_round_trips_with_every_usual_attribute_in_its_column()
    {
        var row = AssertRoundTrip(BooksTable, Book("book-1", price: "24.99", stock: 10));

        Assert.Equal("book-1", row.Key);
        Assert.Equal("{}", row.AttributesJson);
        Assert.Equal("Piranesi", Column(BooksTable, row, "title"));
        Assert.Equal("24.99", Column(BooksTable, row, "price"));
        Assert.Equal(10, Column(BooksTable, row, "stock"));
        Assert.Equal(["Fantasy", "Literary Fiction"], (string[])Column(BooksTable, row, "categories")!);
        Assert.Equal(new DateOnly(2020, 9, 15), Column(BooksTable, row, "publishedDate"));
        Assert.Equal(new DateTime(2026, 11, 20, 9, 2, 11, DateTimeKind.Utc), Column(BooksTable, row, "createdAt"));
        Assert.Equal(DateTimeKind.Utc, ((DateTime)Column(BooksTable, row, "updatedAt")!).Kind);
        Assert.Equal("4.6", Column(BooksTable, row, "rating"));
    }

    [Fact]
    public void A_user_round_trips_with_plain_json_in_its_map_columns()
    {
        var row = AssertRoundTrip(UsersTable, User("user-1", "aoife@example.com"));

        Assert.Equal("{}", row.AttributesJson);
        Assert.Equal(false, Column(UsersTable, row, "marketingOptIn"));
        using var address = JsonDocument.Parse((string)Column(UsersTable, row, "address")!);
        Assert.Equal("Dublin", address.RootElement.GetProperty("city").GetString());
        using var preferences = JsonDocument.Parse((string)Column(UsersTable, row, "preferences")!);
        Assert.True(preferences.RootElement.GetProperty("newsletter").GetBoolean());
        Assert.Equal(20, preferences.RootElement.GetProperty("pageSize").GetInt32());
        Assert.Equal("Crime", preferences.RootElement.GetProperty("genres")[1].GetString());
    }

    [Fact]
    public void An_order_round_trips_with_its_lines_in_child_rows()
    {
        var row = AssertRoundTrip(OrdersTable, Order("ord-1", lines: 3));

        Assert.Equal("{}", row.AttributesJson);
        var lines = Assert.Single(row.Children);
        Assert.Equal([1, 2, 3], lines.Select(l => l.Position));
        Assert.Equal(["book-2", "Book 2", 2, "9.99"], lines[1].Values);
        Assert.Equal("32.07", Column(OrdersTable, row, "total"));
    }

    public static TheoryData<string> SampleFiles() => new(SampleEvents.All());

    [Theory]
    [MemberData(nameof(SampleFiles))]
    public void Every_image_of_the_sample_events_round_trips(string file)
    {
        foreach (var record in SampleEvents.Read(file).Records)
        {
            var table = Mapping.ForSourceTable(StreamArn.TableName(record.EventSourceArn)!);
            if (table is null) continue;
            if (record.Dynamodb!.NewImage is { } newImage) AssertRoundTrip(table, newImage);
            if (record.Dynamodb.OldImage is { } oldImage) AssertRoundTrip(table, oldImage);
        }
    }

    [Fact]
    public void The_edge_case_book_is_written_with_its_ill_fitting_values_kept()
    {
        var image = SampleEvents.Read("edge-cases-books-insert.json").Records[0].Dynamodb!.NewImage!;

        var row = AssertRoundTrip(BooksTable, image);

        Assert.Null(Column(BooksTable, row, "price"));
        Assert.Null(Column(BooksTable, row, "stock"));
        Assert.Null(Column(BooksTable, row, "publishedDate"));
        Assert.Equal(["price", "publishedDate", "stock"], row.IllFitting.Order(StringComparer.Ordinal));
        var kept = Kept(row);
        Assert.Equal(S("twelve"), kept["price"]);
        Assert.Equal(N("1E+30"), kept["stock"]);
        Assert.Equal(S("not-a-date"), kept["publishedDate"]);
        Assert.Equal(AttributeValue.True, kept["signedByAuthor"]);
        Assert.Equal("4.567890123456789012345678901234567891", Column(BooksTable, row, "rating"));
        Assert.False(kept.ContainsKey("title"));
    }

    [Fact]
    public void A_number_of_38_significant_digits_stays_exact_in_its_column()
    {
        const string price = "12345678901234567890.123456789012345678";

        var row = AssertRoundTrip(BooksTable, Book("book-1", price: price));

        Assert.Equal(price, Column(BooksTable, row, "price"));
        Assert.Equal("{}", row.AttributesJson);
    }

    [Theory]
    [InlineData("-0.000000000000000000000000000000000000001")]
    [InlineData("9999999999999999999999999999999999999.9")]
    [InlineData("0.10")]
    public void Canonical_numbers_fill_their_numeric_column_exactly(string price)
    {
        var row = AssertRoundTrip(BooksTable, Book("book-1", price: price));

        Assert.Equal(price, Column(BooksTable, row, "price"));
        Assert.DoesNotContain("price", Kept(row).Keys);
    }

    [Theory]
    [InlineData("1E+2")]
    [InlineData("9.9999999999999999999999999999999999999E+125")]
    [InlineData("+5")]
    [InlineData("-0")]
    [InlineData("007.5")]
    public void A_number_in_another_spelling_fills_its_column_and_keeps_the_original(string price)
    {
        var row = AssertRoundTrip(BooksTable, Book("book-1", price: price));

        Assert.Equal(price, Column(BooksTable, row, "price"));
        Assert.Equal(N(price), Kept(row)["price"]);
        Assert.Empty(row.IllFitting);
    }

    [Fact]
    public void A_price_written_as_a_word_leaves_the_column_null_and_keeps_the_record()
    {
        var book = Book("book-1");
        book["price"] = S("twelve");

        var row = AssertRoundTrip(BooksTable, book);

        Assert.Null(Column(BooksTable, row, "price"));
        Assert.Equal("""{"price":{"S":"twelve"}}""", row.AttributesJson);
        Assert.Equal(["price"], row.IllFitting);
    }

    [Theory]
    [InlineData("1E+30")]
    [InlineData("2147483648")]
    [InlineData("2.5")]
    [InlineData("1e-31")]
    [InlineData("NaN")]
    // Regression: decimal.TryParse rounded fractions beyond 28 places, so the integer column took 1 for 1.0000000000000000000000000000001.
    [InlineData("1.0000000000000000000000000000001")]
    [InlineData("0.00000000000000000000000000000001")]
    [InlineData("2147483647.00000000000000000000000000001")]
    [InlineData("15E-1")]
    [InlineData("1.55E+1")]
    public void A_stock_that_is_no_32_bit_whole_number_leaves_the_column_null(string stock)
    {
        var book = Book("book-1");
        book["stock"] = N(stock);

        var row = AssertRoundTrip(BooksTable, book);

        Assert.Null(Column(BooksTable, row, "stock"));
        Assert.Equal(N(stock), Kept(row)["stock"]);
        Assert.Equal(["stock"], row.IllFitting);
    }

    [Theory]
    [InlineData("5.0", 5)]
    [InlineData("5E+0", 5)]
    [InlineData("007", 7)]
    [InlineData("-0", 0)]
    [InlineData("2147483647", 2147483647)]
    [InlineData("-2147483648", -2147483648)]
    [InlineData("1.00000000000000000000000000000000000", 1)]
    [InlineData("10E-1", 1)]
    [InlineData("1.5E+1", 15)]
    [InlineData("0.0E+5", 0)]
    public void A_whole_stock_in_another_spelling_fills_its_column_and_keeps_the_original(string stock, int expected)
    {
        var book = Book("book-1");
        book["stock"] = N(stock);

        var row = AssertRoundTrip(BooksTable, book);

        Assert.Equal(expected, Column(BooksTable, row, "stock"));
        if (stock != expected.ToString(System.Globalization.CultureInfo.InvariantCulture))
            Assert.Equal(N(stock), Kept(row)["stock"]);
        Assert.Empty(row.IllFitting);
    }

    [Theory]
    [InlineData("not-a-date")]
    [InlineData("2026-02-30")]
    [InlineData("2026-2-3")]
    [InlineData("2020-09-15T00:00:00Z")]
    public void A_published_date_that_is_no_calendar_date_leaves_the_column_null(string date)
    {
        var book = Book("book-1");
        book["publishedDate"] = S(date);

        var row = AssertRoundTrip(BooksTable, book);

        Assert.Null(Column(BooksTable, row, "publishedDate"));
        Assert.Equal(S(date), Kept(row)["publishedDate"]);
        Assert.Equal(["publishedDate"], row.IllFitting);
    }

    [Fact]
    public void Categories_as_a_list_instead_of_a_string_set_are_kept_as_a_list()
    {
        var book = Book("book-1");
        book["categories"] = AttributeValue.FromL([S("Fantasy"), S("Literary Fiction")]);

        var row = AssertRoundTrip(BooksTable, book);

        Assert.Null(Column(BooksTable, row, "categories"));
        Assert.Equal(AttributeType.L, Kept(row)["categories"].Type);
        Assert.Equal(["categories"], row.IllFitting);
    }

    [Fact]
    public void An_address_holding_a_string_set_does_not_fit_plain_json()
    {
        var user = User("user-1", "a@example.com");
        user["address"] = Map(("city", S("Dublin")), ("lines", AttributeValue.FromSS(["14 Harcourt Street", "Flat 2"])));

        var row = AssertRoundTrip(UsersTable, user);

        Assert.Null(Column(UsersTable, row, "address"));
        Assert.Equal(AttributeType.SS, Kept(row)["address"].M!["lines"].Type);
        Assert.Equal(["address"], row.IllFitting);
    }

    [Fact]
    public void An_address_holding_binary_does_not_fit_plain_json()
    {
        var user = User("user-1", "a@example.com");
        user["address"] = Map(("city", S("Dublin")), ("photo", AttributeValue.FromB([1, 2])));

        var row = AssertRoundTrip(UsersTable, user);

        Assert.Null(Column(UsersTable, row, "address"));
        Assert.Equal(["address"], row.IllFitting);
    }

    [Fact]
    public void An_address_with_a_number_in_another_spelling_fills_the_column_and_keeps_the_original()
    {
        var user = User("user-1", "a@example.com");
        user["address"] = Map(("city", S("Dublin")), ("floor", N("3.0E+0")));

        var row = AssertRoundTrip(UsersTable, user);

        Assert.NotNull(Column(UsersTable, row, "address"));
        Assert.Equal(N("3.0E+0"), Kept(row)["address"].M!["floor"]);
        Assert.Empty(row.IllFitting);
    }

    [Fact]
    public void An_address_given_as_a_string_does_not_fit()
    {
        var user = User("user-1", "a@example.com");
        user["address"] = S("14 Harcourt Street, Dublin");

        var row = AssertRoundTrip(UsersTable, user);

        Assert.Null(Column(UsersTable, row, "address"));
        Assert.Equal(["address"], row.IllFitting);
    }

    [Theory]
    [InlineData("2026-11-20T10:15:30Z", "2026-11-20T10:15:30.000Z")]
    [InlineData("2026-11-20T12:15:30+02:00", "2026-11-20T10:15:30.000Z")]
    [InlineData("2026-11-20T12:15:30.123+02:00", "2026-11-20T10:15:30.123Z")]
    [InlineData("2026-11-20T10:15:30.1234567Z", "2026-11-20T10:15:30.123Z")]
    [InlineData("2026-11-20T10:15:30", "2026-11-20T10:15:30.000Z")]
    [InlineData("2026-11-20 10:15:30Z", "2026-11-20T10:15:30.000Z")]
    public void A_timestamp_in_another_form_fills_the_column_and_keeps_the_original(string text, string canonical)
    {
        var book = Book("book-1");
        book["createdAt"] = S(text);

        var row = AssertRoundTrip(BooksTable, book);

        var column = Assert.IsType<DateTime>(Column(BooksTable, row, "createdAt"));
        Assert.Equal(DateTimeKind.Utc, column.Kind);
        Assert.Equal(canonical, column.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal(S(text), Kept(row)["createdAt"]);
        Assert.Empty(row.IllFitting);
    }

    [Fact]
    public void A_timestamp_keeps_microseconds_and_drops_finer_ticks()
    {
        var book = Book("book-1");
        book["createdAt"] = S("2026-11-20T10:15:30.1234567Z");

        var row = ItemMapper.Map(BooksTable, book);

        Assert.Equal(new DateTime(2026, 11, 20, 10, 15, 30, DateTimeKind.Utc).AddTicks(1234560), Column(BooksTable, row, "createdAt"));
    }

    [Fact]
    public void A_canonical_timestamp_is_not_kept_twice()
    {
        var row = ItemMapper.Map(BooksTable, Book("book-1"));

        Assert.DoesNotContain("createdAt", Kept(row).Keys);
    }

    [Fact]
    public void A_timestamp_that_is_no_time_leaves_the_column_null()
    {
        var book = Book("book-1");
        book["updatedAt"] = S("yesterday");

        var row = AssertRoundTrip(BooksTable, book);

        Assert.Null(Column(BooksTable, row, "updatedAt"));
        Assert.Equal(["updatedAt"], row.IllFitting);
    }

    [Fact]
    public void A_null_in_a_mapped_attribute_is_kept_without_counting_as_ill_fitting()
    {
        var book = Book("book-1");
        book["title"] = AttributeValue.Null;

        var row = AssertRoundTrip(BooksTable, book);

        Assert.Null(Column(BooksTable, row, "title"));
        Assert.True(Kept(row)["title"].IsNull);
        Assert.Empty(row.IllFitting);
    }

    [Fact]
    public void A_missing_attribute_leaves_its_column_null_and_stays_missing()
    {
        var book = Book("book-1");
        book.Remove("isbn");

        var row = AssertRoundTrip(BooksTable, book);

        Assert.Null(Column(BooksTable, row, "isbn"));
        Assert.Equal("{}", row.AttributesJson);
    }

    [Fact]
    public void Text_holding_a_nul_character_is_kept_out_of_the_text_column()
    {
        var book = Book("book-1");
        book["title"] = S("Pira\0nesi");

        var row = AssertRoundTrip(BooksTable, book);

        Assert.Null(Column(BooksTable, row, "title"));
        Assert.Equal(["title"], row.IllFitting);
    }

    [Fact]
    public void Unmapped_attributes_keep_their_dynamodb_types()
    {
        var book = Book("book-1");
        book["tags"] = AttributeValue.FromSS(["signed"]);
        book["ratingCount"] = N("1204");
        book["isbn10"] = S("1635575636");
        book["cover"] = AttributeValue.FromB([1, 2, 3]);
        book["editions"] = AttributeValue.FromNS(["1", "2"]);
        book["scans"] = AttributeValue.FromBS([[9]]);
        book["history"] = AttributeValue.FromL([S("signed")]);

        var row = ItemMapper.Map(BooksTable, book);

        var kept = Kept(row);
        Assert.Equal(AttributeType.SS, kept["tags"].Type);
        Assert.Equal(AttributeType.N, kept["ratingCount"].Type);
        Assert.Equal(AttributeType.S, kept["isbn10"].Type);
        Assert.Equal(AttributeType.B, kept["cover"].Type);
        Assert.Equal(AttributeType.NS, kept["editions"].Type);
        Assert.Equal(AttributeType.BS, kept["scans"].Type);
        Assert.Equal(AttributeType.L, kept["history"].Type);
        using var json = JsonDocument.Parse(row.AttributesJson);
        Assert.Equal("signed", json.RootElement.GetProperty("tags").GetProperty("SS")[0].GetString());
        Assert.Equal("1204", json.RootElement.GetProperty("ratingCount").GetProperty("N").GetString());
        Assert.Equal("AQID", json.RootElement.GetProperty("cover").GetProperty("B").GetString());
    }

    [Fact]
    public void Order_lines_get_one_based_positions()
    {
        var row = ItemMapper.Map(OrdersTable, Order("ord-1", lines: 4));

        Assert.Equal([1, 2, 3, 4], row.Children[0].Select(l => l.Position));
        Assert.Equal(["book-1", "book-2", "book-3", "book-4"], row.Children[0].Select(l => l.Values[0]));
    }

    [Fact]
    public void A_shrinking_list_yields_fewer_child_rows()
    {
        var before = ItemMapper.Map(OrdersTable, Order("ord-1", lines: 3));
        var after = AssertRoundTrip(OrdersTable, Order("ord-1", lines: 2));

        Assert.Equal(3, before.Children[0].Count);
        Assert.Equal([1, 2], after.Children[0].Select(l => l.Position));
    }

    [Fact]
    public void A_line_with_an_extra_attribute_keeps_the_whole_list_in_attributes()
    {
        var order = Order("ord-1", lines: 0);
        var giftLine = AttributeValue.FromM(new Dictionary<string, AttributeValue>(Line("book-2").M!) { ["giftWrap"] = AttributeValue.True });
        order["items"] = AttributeValue.FromL([Line("book-1"), giftLine]);

        var row = AssertRoundTrip(OrdersTable, order);

        Assert.Equal(order["items"], Kept(row)["items"]);
        // The lines are still there for queries.
        Assert.Equal([1, 2], row.Children[0].Select(l => l.Position));
        Assert.Empty(row.IllFitting);
    }

    [Fact]
    public void A_line_that_is_not_a_map_keeps_the_whole_list_and_holds_its_position()
    {
        var order = Order("ord-1", lines: 0);
        order["items"] = AttributeValue.FromL([Line("book-1"), S("gift card"), Line("book-3")]);

        var row = AssertRoundTrip(OrdersTable, order);

        Assert.Equal(order["items"], Kept(row)["items"]);
        Assert.Equal([1, 2, 3], row.Children[0].Select(l => l.Position));
        Assert.All(row.Children[0][1].Values, Assert.Null);
        Assert.Equal("book-3", row.Children[0][2].Values[0]);
        Assert.Equal(["items[2]"], row.IllFitting);
    }

    [Fact]
    public void A_line_value_that_does_not_fit_keeps_the_whole_list()
    {
        var order = Order("ord-1", lines: 0);
        order["items"] = AttributeValue.FromL([Line("book-1", quantity: "1E+30")]);

        var row = AssertRoundTrip(OrdersTable, order);

        Assert.Null(row.Children[0][0].Values[2]);
        Assert.Equal(["items[1].quantity"], row.IllFitting);
        Assert.Equal(order["items"], Kept(row)["items"]);
    }

    [Fact]
    public void A_line_missing_an_attribute_rebuilds_without_it()
    {
        var order = Order("ord-1", lines: 0);
        order["items"] = AttributeValue.FromL([Map(("bookId", S("book-1")), ("quantity", N("2")))]);

        var row = AssertRoundTrip(OrdersTable, order);

        Assert.Equal("{}", row.AttributesJson);
        Assert.Equal(["book-1", null, 2, null], row.Children[0][0].Values);
    }

    [Fact]
    public void An_empty_list_of_lines_is_kept_as_it_is()
    {
        var row = AssertRoundTrip(OrdersTable, Order("ord-1", lines: 0));

        Assert.Empty(row.Children[0]);
        Assert.Equal(AttributeValue.FromL([]), Kept(row)["items"]);
    }

    [Fact]
    public void Items_that_are_not_a_list_are_kept_and_named()
    {
        var order = Order("ord-1", lines: 0);
        order["items"] = Map(("1", Line("book-1")));

        var row = AssertRoundTrip(OrdersTable, order);

        Assert.Empty(row.Children[0]);
        Assert.Equal(["items"], row.IllFitting);
    }

    [Fact]
    public void An_order_without_items_has_no_lines()
    {
        var order = Order("ord-1", lines: 1);
        order.Remove("items");

        var row = AssertRoundTrip(OrdersTable, order);

        Assert.Empty(row.Children[0]);
    }

    [Fact]
    public void A_missing_key_is_unmappable()
    {
        var book = Book("book-1");
        book.Remove("bookId");

        var e = Assert.Throws<UnmappableRecordException>(() => ItemMapper.Map(BooksTable, book));
        Assert.Contains("bookId", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_numeric_key_is_unmappable()
    {
        var book = Book("book-1");
        book["bookId"] = N("4711");

        var e = Assert.Throws<UnmappableRecordException>(() => ItemMapper.Map(BooksTable, book));
        Assert.Contains("N", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("")]
    [InlineData("book\0one")]
    public void An_empty_or_nul_bearing_key_is_unmappable(string key)
    {
        Assert.Throws<UnmappableRecordException>(() => ItemMapper.Map(BooksTable, Book(key)));
    }

    [Fact]
    public void Reading_the_key_from_no_keys_is_unmappable()
    {
        Assert.Throws<UnmappableRecordException>(() => ItemMapper.ReadKey(BooksTable, null));
    }
}
