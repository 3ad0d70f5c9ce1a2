using System.Text.Json;
using CloudShelf.Sync.IntegrationTests.Infrastructure;
using CloudShelf.Sync.Postgres;
using static CloudShelf.Sync.Testing.Items;
using static CloudShelf.Sync.Testing.StreamEvents;

namespace CloudShelf.Sync.IntegrationTests.Postgres;

/// <summary>
/// Dates at the ends of .NET's range stay dates: Npgsql.DisableDateTimeInfinityConversions is on,
/// so DateTime.MinValue is not written as -infinity and an infinite value is not read as a date.
/// </summary>
[Collection(SyncServerCollection.Name)]
public sealed class DateRangeTests(SyncServerFixture fixture)
{
    [Theory]
    [InlineData("bootstrap.runtimeconfig.json")]
    [InlineData("cloudshelf-sync.runtimeconfig.json")]
    public void The_functions_and_the_CLI_are_built_with_Npgsql_infinity_conversions_off(string runtimeConfig)
    {
        using var config = JsonDocument.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, runtimeConfig)));

        var properties = config.RootElement.GetProperty("runtimeOptions").GetProperty("configProperties");
        Assert.True(properties.GetProperty("Npgsql.DisableDateTimeInfinityConversions").GetBoolean());
    }

    [Fact]
    public async Task An_item_dated_at_the_start_of_year_1_is_stored_as_that_date_not_as_minus_infinity()
    {
        await using var db = await SyncDatabase.CreateAsync(fixture);
        var book = Book("book-1");
        book["createdAt"] = S("0001-01-01T00:00:00.000Z");
        book["publishedDate"] = S("0001-01-01");

        var response = await db.HandleAsync(Insert(Books, "10", book));

        Assert.Empty(response.BatchItemFailures);
        Assert.Equal("0001-01-01 00:00:00+00 0001-01-01", await db.ScalarAsync<string>(
            "SET TIME ZONE 'UTC'; SELECT created_at::text || ' ' || published_date::text FROM cloudshelf.books"));
        Assert.Equal(book, await db.ItemAsync(Books, "book-1"));
    }

    [Theory]
    [InlineData("created_at", "timestamptz 'infinity'")]
    [InlineData("created_at", "timestamptz '-infinity'")]
    [InlineData("published_date", "date 'infinity'")]
    public async Task A_row_holding_infinity_is_refused_by_the_row_reader_not_read_as_the_end_of_DateTime(string column, string value)
    {
        await using var db = await SyncDatabase.CreateAsync(fixture);
        await db.HandleAsync(Insert(Books, "10", Book("book-1")));
        await db.ScalarAsync<int>($"UPDATE cloudshelf.books SET {column} = {value}; SELECT 1");

        var error = await Assert.ThrowsAsync<InvalidDataException>(() => db.ItemAsync(Books, "book-1"));

        Assert.Contains($"books.{column} of 'book-1'", error.Message, StringComparison.Ordinal);
    }
}
