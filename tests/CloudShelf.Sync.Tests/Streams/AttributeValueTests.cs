using System.Text.Json;
using CloudShelf.Sync.Streams;

namespace CloudShelf.Sync.Tests.Streams;

public sealed class AttributeValueTests
{
    private static AttributeValue Parse(string json) =>
        JsonSerializer.Deserialize(json, StreamJsonContext.Default.AttributeValue)!;

    private static AttributeValue M(params (string Name, AttributeValue Value)[] entries) =>
        AttributeValue.FromM(entries.ToDictionary(e => e.Name, e => e.Value, StringComparer.Ordinal));

    public static TheoryData<string, string> EveryType() => new()
    {
        { "S", """{"S":"Piranesi"}""" },
        { "S empty", """{"S":""}""" },
        { "N", """{"N":"12345678901234567890.123456789012345678"}""" },
        { "N exponent", """{"N":"-9.9999999999999999999999999999999999999E+125"}""" },
        { "B", """{"B":"AAECAwQ="}""" },
        { "SS", """{"SS":["Fantasy","Literary Fiction"]}""" },
        { "NS", """{"NS":["1987","2003.5"]}""" },
        { "BS", """{"BS":["iVBORw0KGgo=","/9j/4AAQSkZJRgABAQ=="]}""" },
        { "M", """{"M":{"city":{"S":"Dublin"},"floor":{"N":"3"}}}""" },
        { "M empty", """{"M":{}}""" },
        { "L", """{"L":[{"S":"a"},{"N":"1"},{"BOOL":true},{"NULL":true}]}""" },
        { "L empty", """{"L":[]}""" },
        { "NULL", """{"NULL":true}""" },
        { "BOOL true", """{"BOOL":true}""" },
        { "BOOL false", """{"BOOL":false}""" },
        { "nested M and L", """{"M":{"awards":{"L":[{"M":{"year":{"N":"1988"},"tags":{"SS":["x"]},"scans":{"BS":["AQ=="]}}},{"L":[{"NULL":true}]}]},"empty":{"M":{}}}}""" },
    };

    [Theory]
    [MemberData(nameof(EveryType))]
    public void Every_type_round_trips_through_dynamodb_json(string name, string json)
    {
        var value = Parse(json);
        var written = DynamoJson.Serialize(value);

        // The writer may escape characters such as '+'; the JSON it writes must still mean the same.
        using (var expected = JsonDocument.Parse(json))
        using (var actual = JsonDocument.Parse(written))
            Assert.True(JsonElement.DeepEquals(expected.RootElement, actual.RootElement), written);
        Assert.Equal(value, Parse(written));
        Assert.False(string.IsNullOrEmpty(name));
    }

    [Fact]
    public void Every_type_reads_into_its_own_accessor()
    {
        Assert.Equal("x", Parse("""{"S":"x"}""").S);
        Assert.Equal("1.50", Parse("""{"N":"1.50"}""").N);
        Assert.Equal(new byte[] { 0, 1, 2, 3, 4 }, Parse("""{"B":"AAECAwQ="}""").B);
        Assert.Equal(["a", "b"], Parse("""{"SS":["a","b"]}""").SS!);
        Assert.Equal(["1", "2.5"], Parse("""{"NS":["1","2.5"]}""").NS!);
        Assert.Equal([[1], [2]], Parse("""{"BS":["AQ==","Ag=="]}""").BS!);
        Assert.Equal(AttributeValue.FromS("v"), Parse("""{"M":{"k":{"S":"v"}}}""").M!["k"]);
        Assert.Equal(AttributeValue.FromN("2"), Parse("""{"L":[{"S":"a"},{"N":"2"}]}""").L![1]);
        Assert.True(Parse("""{"NULL":true}""").IsNull);
        Assert.True(Parse("""{"BOOL":true}""").BOOL);
        Assert.False(Parse("""{"BOOL":false}""").BOOL);
    }

    [Fact]
    public void Accessors_of_other_types_are_null()
    {
        var value = AttributeValue.FromS("12");

        Assert.Null(value.N);
        Assert.Null(value.B);
        Assert.Null(value.SS);
        Assert.Null(value.M);
        Assert.Null(value.L);
        Assert.Null(value.BOOL);
        Assert.False(value.IsNull);
    }

    [Fact]
    public void A_number_keeps_its_text_exactly()
    {
        Assert.Equal("0.10", Parse("""{"N":"0.10"}""").N);
        Assert.Equal("1E+30", Parse("""{"N":"1E+30"}""").N);
    }

    [Fact]
    public void A_bool_written_as_a_string_is_accepted()
    {
        Assert.Equal(AttributeValue.True, Parse("""{"BOOL":"true"}"""));
        Assert.Equal(AttributeValue.False, Parse("""{"BOOL":"false"}"""));
    }

    [Theory]
    [InlineData("""{"X":"1"}""")]
    [InlineData("""{"N":1}""")]
    [InlineData("""{"S":null}""")]
    [InlineData("""{"NULL":false}""")]
    [InlineData("""{"BOOL":"yes"}""")]
    [InlineData("""{"B":"%%%"}""")]
    [InlineData("""{"SS":"a"}""")]
    [InlineData("""{"NS":[1,2]}""")]
    [InlineData("""{"S":"a","N":"1"}""")]
    [InlineData("""{}""")]
    [InlineData("\"plain\"")]
    [InlineData("""{"M":{"a":{"S":"1"},"a":{"S":"2"}}}""")]
    public void Malformed_dynamodb_json_is_refused(string json)
    {
        Assert.ThrowsAny<JsonException>(() => Parse(json));
    }

    [Fact]
    public void Sets_are_equal_whatever_their_order()
    {
        Assert.Equal(AttributeValue.FromSS(["a", "b", "c"]), AttributeValue.FromSS(["c", "a", "b"]));
        Assert.Equal(AttributeValue.FromNS(["1", "2"]), AttributeValue.FromNS(["2", "1"]));
        Assert.Equal(AttributeValue.FromBS([[1], [2, 3]]), AttributeValue.FromBS([[2, 3], [1]]));
    }

    [Fact]
    public void Sets_with_different_members_differ()
    {
        Assert.NotEqual(AttributeValue.FromSS(["a", "b"]), AttributeValue.FromSS(["a", "c"]));
        Assert.NotEqual(AttributeValue.FromSS(["a", "b"]), AttributeValue.FromSS(["a"]));
        Assert.NotEqual(AttributeValue.FromBS([[1]]), AttributeValue.FromBS([[2]]));
    }

    [Fact]
    public void Lists_are_equal_only_in_the_same_order()
    {
        Assert.Equal(AttributeValue.FromL([AttributeValue.FromS("a"), AttributeValue.FromS("b")]),
            AttributeValue.FromL([AttributeValue.FromS("a"), AttributeValue.FromS("b")]));
        Assert.NotEqual(AttributeValue.FromL([AttributeValue.FromS("a"), AttributeValue.FromS("b")]),
            AttributeValue.FromL([AttributeValue.FromS("b"), AttributeValue.FromS("a")]));
    }

    [Fact]
    public void Maps_are_equal_whatever_their_entry_order()
    {
        var a = M(("x", AttributeValue.FromN("1")), ("y", M(("z", AttributeValue.True))));
        var b = M(("y", M(("z", AttributeValue.True))), ("x", AttributeValue.FromN("1")));

        Assert.Equal(a, b);
        Assert.NotEqual(a, M(("x", AttributeValue.FromN("1"))));
        Assert.NotEqual(a, M(("x", AttributeValue.FromN("1")), ("y", M(("z", AttributeValue.False)))));
    }

    [Fact]
    public void Values_of_different_types_are_never_equal()
    {
        Assert.NotEqual(AttributeValue.FromS("1"), AttributeValue.FromN("1"));
        Assert.NotEqual(AttributeValue.FromSS(["a"]), AttributeValue.FromL([AttributeValue.FromS("a")]));
        Assert.NotEqual(AttributeValue.FromB([0x61]), AttributeValue.FromS("a"));
        Assert.NotEqual(AttributeValue.Null, AttributeValue.False);
    }

    [Fact]
    public void Numbers_compare_by_their_text()
    {
        Assert.Equal(AttributeValue.FromN("1.5"), AttributeValue.FromN("1.5"));
        Assert.NotEqual(AttributeValue.FromN("1.5"), AttributeValue.FromN("1.50"));
    }

    [Fact]
    public void Binary_compares_by_content()
    {
        Assert.Equal(AttributeValue.FromB([1, 2, 3]), AttributeValue.FromB([1, 2, 3]));
        Assert.NotEqual(AttributeValue.FromB([1, 2, 3]), AttributeValue.FromB([1, 2]));
    }

    [Fact]
    public void Equal_values_have_equal_hash_codes()
    {
        Assert.Equal(AttributeValue.FromS("x").GetHashCode(), AttributeValue.FromS("x").GetHashCode());
        Assert.Equal(AttributeValue.FromSS(["a", "b"]).GetHashCode(), AttributeValue.FromSS(["b", "a"]).GetHashCode());
        Assert.Equal(M(("a", AttributeValue.True)).GetHashCode(), M(("a", AttributeValue.True)).GetHashCode());
    }

    [Fact]
    public void Item_equality_needs_the_same_attribute_names()
    {
        var a = new Dictionary<string, AttributeValue> { ["id"] = AttributeValue.FromS("1"), ["n"] = AttributeValue.Null };
        var b = new Dictionary<string, AttributeValue> { ["id"] = AttributeValue.FromS("1") };
        var c = new Dictionary<string, AttributeValue> { ["id"] = AttributeValue.FromS("1"), ["m"] = AttributeValue.Null };

        Assert.True(ItemEquality.Equal(a, new Dictionary<string, AttributeValue>(a)));
        Assert.False(ItemEquality.Equal(a, b));
        Assert.False(ItemEquality.Equal(a, c));
    }

    [Fact]
    public void An_item_round_trips_through_dynamodb_json()
    {
        var item = new Dictionary<string, AttributeValue>
        {
            ["bookId"] = AttributeValue.FromS("book-1"),
            ["scans"] = AttributeValue.FromBS([[0xFF, 0xD8], [0x89, 0x50]]),
            ["meta"] = M(("tags", AttributeValue.FromSS(["x", "y"])), ("n", AttributeValue.FromNS(["1", "2"]))),
        };

        Assert.True(ItemEquality.Equal(item, DynamoJson.ParseItem(DynamoJson.SerializeItem(item))));
    }

    [Fact]
    public void Factories_refuse_null()
    {
        Assert.Throws<ArgumentNullException>(() => AttributeValue.FromS(null!));
        Assert.Throws<ArgumentNullException>(() => AttributeValue.FromN(null!));
        Assert.Throws<ArgumentNullException>(() => AttributeValue.FromM(null!));
    }
}
