using System.Globalization;
using Amazon.DynamoDBv2.Model;

namespace CloudShelf.Sync.Demo;

/// <summary>Short constructors for SDK attribute values, so generated items read like the data model.</summary>
internal static class Attr
{
    public static AttributeValue S(string value) => new() { S = value };

    public static AttributeValue N(decimal value) => new() { N = value.ToString(CultureInfo.InvariantCulture) };

    public static AttributeValue N(string value) => new() { N = value };

    public static AttributeValue Bool(bool value) => new() { BOOL = value };

    public static AttributeValue SS(IEnumerable<string> values) => new() { SS = values.ToList() };

    public static AttributeValue L(IEnumerable<AttributeValue> values) => new() { L = values.ToList() };

    public static AttributeValue M(Dictionary<string, AttributeValue> entries) => new() { M = entries };

    public static AttributeValue Time(DateTimeOffset value) => S(value.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss.fffZ", CultureInfo.InvariantCulture));

    public static AttributeValue Money(decimal value) => new() { N = Math.Round(value, 2).ToString("0.00", CultureInfo.InvariantCulture) };

    /// <summary>A copy deep enough that changing the copy's top-level attributes leaves the original alone.</summary>
    public static Dictionary<string, AttributeValue> Copy(Dictionary<string, AttributeValue> item) => new(item, StringComparer.Ordinal);
}
