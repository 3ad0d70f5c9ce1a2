using CloudShelf.Sync.Drift;
using CloudShelf.Sync.Mapping;
using CloudShelf.Sync.Streams;
using static CloudShelf.Sync.Testing.Items;

namespace CloudShelf.Sync.Tests.Drift;

public sealed class DriftComparisonTests
{
    private static readonly TableMapping Books = CloudShelfMapping.Create(SourceTableNames.Default).ForTable("books")!;

    [Theory]
    [InlineData("12.5", "12.50")]
    [InlineData("12.5", "1.25E+1")]
    [InlineData("0.0012", "1.2e-3")]
    [InlineData("-7", "-7.000")]
    [InlineData("0", "-0.00")]
    [InlineData("100", "1E2")]
    [InlineData("12345678901234567890.123456789012345678", "12345678901234567890.1234567890123456780")]
    public void Numbers_at_another_scale_or_spelling_are_equal(string a, string b)
    {
        Assert.True(NumberText.Equal(a, b));
        Assert.True(NumberText.Equal(b, a));
    }

    [Theory]
    [InlineData("12.5", "12.05")]
    [InlineData("100", "10")]
    [InlineData("-1", "1")]
    [InlineData("12345678901234567890.123456789012345678", "12345678901234567890.123456789012345679")]
    [InlineData("1", "one")]
    public void Different_numbers_are_not_equal(string a, string b) => Assert.False(NumberText.Equal(a, b));

    [Fact]
    public void Sets_compare_as_sets_and_types_stay_apart()
    {
        Assert.True(DriftEquality.Equal(AttributeValue.FromSS(["a", "b"]), AttributeValue.FromSS(["b", "a"])));
        Assert.True(DriftEquality.Equal(AttributeValue.FromNS(["1.50", "2"]), AttributeValue.FromNS(["2.0", "1.5"])));
        Assert.False(DriftEquality.Equal(AttributeValue.FromNS(["1", "2"]), AttributeValue.FromNS(["1", "3"])));
        Assert.False(DriftEquality.Equal(AttributeValue.FromSS(["1"]), AttributeValue.FromNS(["1"])));
        Assert.False(DriftEquality.Equal(AttributeValue.FromL([S("a"), S("b")]), AttributeValue.FromL([S("b"), S("a")])));
        Assert.False(DriftEquality.Equal(N("1"), S("1")));
    }

    [Fact]
    public void Plain_json_compares_members_by_name_and_numbers_as_numbers()
    {
        Assert.True(DriftEquality.PlainJsonEqual("""{"a":1.50,"b":[1,{"c":true}]}""", """{"b": [1.0, {"c": true}], "a": 1.5}"""));
        Assert.False(DriftEquality.PlainJsonEqual("""{"a":1}""", """{"a":"1"}"""));
        Assert.False(DriftEquality.PlainJsonEqual("""{"a":1}""", """{"a":1,"b":null}"""));
    }

    private static StoredRow Stored(Dictionary<string, AttributeValue> item, Action<object?[]>? tamper = null, string? attributes = null)
    {
        var row = ItemMapper.Map(Books, item);
        var values = (object?[])row.Values.Clone();
        tamper?.Invoke(values);
        return new StoredRow(row.Key, "0", values, attributes ?? row.AttributesJson, row.Children);
    }

    [Fact]
    public void A_row_that_holds_its_item_has_no_differences()
    {
        var book = Book("b-1");
        book["format"] = S("hardback");

        Assert.Empty(RowComparer.Differences(Books, ItemMapper.Map(Books, book), Stored(book)));
    }

    [Fact]
    public void Differences_name_the_attributes_never_their_values()
    {
        var book = Book("b-1");
        book["format"] = S("hardback");
        var price = Books.Columns.ToList().FindIndex(c => c.Attribute == "price");

        var differences = RowComparer.Differences(Books, ItemMapper.Map(Books, book),
            Stored(book, v => v[price] = "99.99", """{"format":{"S":"audio"},"extra":{"N":"1"}}"""));

        Assert.Equal(["extra", "format", "price"], differences);
    }

    [Fact]
    public void An_ill_fitting_value_compares_as_null_in_its_column_plus_the_original_in_attributes()
    {
        var book = Book("b-1");
        book["stock"] = S("many");
        var stock = Books.Columns.ToList().FindIndex(c => c.Attribute == "stock");
        var expected = ItemMapper.Map(Books, book);

        Assert.Empty(RowComparer.Differences(Books, expected, Stored(book)));
        Assert.Equal(["stock"], RowComparer.Differences(Books, expected, Stored(book, v => v[stock] = 5)));
        Assert.Equal(["stock"], RowComparer.Differences(Books, expected, Stored(book, attributes: "{}")));
    }
}
