using System.Globalization;
using CloudShelf.Sync.Mapping;
using CloudShelf.Sync.Streams;

namespace CloudShelf.Sync.Testing;

/// <summary>Builds stream records and events in the shape Lambda delivers, for tests and benchmarks.</summary>
public static class StreamEvents
{
    private static readonly SyncMapping DefaultMapping = CloudShelfMapping.Create(SourceTableNames.Default);

    /// <summary>The default books table.</summary>
    public const string Books = "cloudshelf-books";
    /// <summary>The default users table.</summary>
    public const string Users = "cloudshelf-users";
    /// <summary>The default orders table.</summary>
    public const string Orders = "cloudshelf-orders";
    /// <summary>The carts table, which is not synced.</summary>
    public const string Carts = "cloudshelf-carts";

    /// <summary>The stream ARN of a table.</summary>
    public static string Arn(string table) =>
        $"arn:aws:dynamodb:eu-west-1:123456789012:table/{table}/stream/2026-11-01T00:00:00.000";

    /// <summary>An event of the given records.</summary>
    public static DynamoDBEvent Event(params IEnumerable<DynamoDBStreamRecord> records) => new() { Records = records.ToList() };

    /// <summary>An INSERT carrying a new image.</summary>
    public static DynamoDBStreamRecord Insert(string table, string sequenceNumber, Dictionary<string, AttributeValue> newImage) =>
        Record(table, "INSERT", sequenceNumber, KeyOf(table, newImage), newImage, null);

    /// <summary>A MODIFY carrying new (and optionally old) images.</summary>
    public static DynamoDBStreamRecord Modify(string table, string sequenceNumber, Dictionary<string, AttributeValue> newImage,
        Dictionary<string, AttributeValue>? oldImage = null) =>
        Record(table, "MODIFY", sequenceNumber, KeyOf(table, newImage), newImage, oldImage);

    /// <summary>A REMOVE; a TTL deletion when <paramref name="ttl"/>.</summary>
    public static DynamoDBStreamRecord Remove(string table, string sequenceNumber, string key, bool ttl = false)
    {
        var keys = new Dictionary<string, AttributeValue> { [KeyAttribute(table)] = AttributeValue.FromS(key) };
        var record = Record(table, "REMOVE", sequenceNumber, keys, null, null);
        if (ttl) record.UserIdentity = new StreamUserIdentity { Type = "Service", PrincipalId = "dynamodb.amazonaws.com" };
        return record;
    }

    /// <summary>Any record.</summary>
    public static DynamoDBStreamRecord Record(string table, string eventName, string sequenceNumber,
        Dictionary<string, AttributeValue> keys, Dictionary<string, AttributeValue>? newImage, Dictionary<string, AttributeValue>? oldImage) =>
        new()
        {
            EventId = Guid.NewGuid().ToString("N"),
            EventName = eventName,
            EventVersion = "1.1",
            EventSource = "aws:dynamodb",
            AwsRegion = "eu-west-1",
            EventSourceArn = Arn(table),
            Dynamodb = new StreamRecord
            {
                ApproximateCreationDateTime = DateTimeOffset.FromUnixTimeSeconds(1795600000),
                Keys = keys,
                NewImage = newImage,
                OldImage = oldImage,
                SequenceNumber = sequenceNumber,
                SizeBytes = 256,
                StreamViewType = newImage is null && oldImage is null && eventName != "REMOVE" ? "KEYS_ONLY" : "NEW_AND_OLD_IMAGES",
            },
        };

    /// <summary>The key attribute of a default-named table (bookId, userId, orderId).</summary>
    public static string KeyAttribute(string table) => DefaultMapping.ForSourceTable(table)?.KeyAttribute ?? "userId";

    private static Dictionary<string, AttributeValue> KeyOf(string table, Dictionary<string, AttributeValue> image)
    {
        var name = KeyAttribute(table);
        return new Dictionary<string, AttributeValue> { [name] = image[name] };
    }
}

/// <summary>Realistic CloudShelf items.</summary>
public static class Items
{
    /// <summary>A string value.</summary>
    public static AttributeValue S(string value) => AttributeValue.FromS(value);

    /// <summary>A number value from its text.</summary>
    public static AttributeValue N(string value) => AttributeValue.FromN(value);

    /// <summary>A book with every usual attribute.</summary>
    public static Dictionary<string, AttributeValue> Book(string bookId, string price = "24.99", int stock = 10, string title = "Piranesi") => new()
    {
        ["bookId"] = S(bookId),
        ["title"] = S(title),
        ["author"] = S("Susanna Clarke"),
        ["isbn"] = S("9781635575637"),
        ["price"] = N(price),
        ["stock"] = N(stock.ToString(CultureInfo.InvariantCulture)),
        ["categories"] = AttributeValue.FromSS(["Fantasy", "Literary Fiction"]),
        ["description"] = S("A house of endless halls."),
        ["publishedDate"] = S("2020-09-15"),
        ["coverImageUrl"] = S("https://images.example.com/piranesi.jpg"),
        ["rating"] = N("4.6"),
        ["createdAt"] = S("2026-11-20T09:02:11.000Z"),
        ["updatedAt"] = S("2026-11-21T10:15:30.000Z"),
    };

    /// <summary>A user.</summary>
    public static Dictionary<string, AttributeValue> User(string userId, string email) => new()
    {
        ["userId"] = S(userId),
        ["email"] = S(email),
        ["name"] = S("Aoife Byrne"),
        ["address"] = AttributeValue.FromM(new Dictionary<string, AttributeValue>
        {
            ["street"] = S("14 Harcourt Street"),
            ["city"] = S("Dublin"),
            ["postcode"] = S("D02 WK25"),
            ["country"] = S("IE"),
        }),
        ["preferences"] = AttributeValue.FromM(new Dictionary<string, AttributeValue>
        {
            ["newsletter"] = AttributeValue.True,
            ["genres"] = AttributeValue.FromL([S("Fantasy"), S("Crime")]),
            ["pageSize"] = N("20"),
        }),
        ["marketingOptIn"] = AttributeValue.False,
        ["createdAt"] = S("2026-01-05T08:00:00.000Z"),
        ["lastLoginAt"] = S("2026-11-24T19:45:12.345Z"),
    };

    /// <summary>An order with the given number of lines.</summary>
    public static Dictionary<string, AttributeValue> Order(string orderId, int lines, string status = "PAID") => new()
    {
        ["orderId"] = S(orderId),
        ["userId"] = S("user-1"),
        ["status"] = S(status),
        ["items"] = AttributeValue.FromL(Enumerable.Range(1, lines).Select(i => AttributeValue.FromM(new Dictionary<string, AttributeValue>
        {
            ["bookId"] = S($"book-{i}"),
            ["title"] = S($"Book {i}"),
            ["quantity"] = N(i.ToString(CultureInfo.InvariantCulture)),
            ["unitPrice"] = N("9.99"),
        })).ToList()),
        ["subtotal"] = N("29.97"),
        ["tax"] = N("2.10"),
        ["total"] = N("32.07"),
        ["currency"] = S("EUR"),
        ["shippingAddress"] = AttributeValue.FromM(new Dictionary<string, AttributeValue> { ["city"] = S("Cork"), ["country"] = S("IE") }),
        ["createdAt"] = S("2026-11-20T10:00:00.000Z"),
        ["updatedAt"] = S("2026-11-20T10:05:00.000Z"),
    };
}
