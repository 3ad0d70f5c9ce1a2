using Amazon.DynamoDBv2.Model;
using CloudShelf.Sync.IntegrationTests.Infrastructure;
using static CloudShelf.Sync.Testing.Items;
using AttributeValue = CloudShelf.Sync.Streams.AttributeValue;

namespace CloudShelf.Sync.IntegrationTests.LocalMapping;

/// <summary>
/// Writes through the AWS SDK that exercise the whole path: puts, updates, deletes and re-inserts
/// over overlapping keys in every table (carts included), with edge values.
/// </summary>
internal static class Workload
{
    public static async Task<int> RunAsync(StreamTables tables, int seed, int operations = 120)
    {
        var random = new Random(seed);
        var writes = 0;
        for (var i = 0; i < operations; i++)
        {
            var key = random.Next(12);
            switch (random.Next(10))
            {
                case < 4:
                    await tables.PutAsync(tables.Books, EdgeBook($"book-{key}", i));
                    break;
                case 4:
                    await tables.Client.UpdateItemAsync(new UpdateItemRequest
                    {
                        TableName = tables.Books,
                        Key = new() { ["bookId"] = new() { S = $"book-{key}" } },
                        UpdateExpression = "SET title = :t, stock = :s ADD tags :g",
                        ExpressionAttributeValues = new()
                        {
                            [":t"] = new() { S = $"Updated {i}" },
                            [":s"] = new() { N = (i * 3).ToString(System.Globalization.CultureInfo.InvariantCulture) },
                            [":g"] = new() { SS = [$"tag-{i % 3}"] },
                        },
                    });
                    break;
                case 5:
                    await tables.DeleteAsync(tables.Books, "bookId", $"book-{key}");
                    break;
                case 6:
                    // Unique e-mails: a shared one is a data defect that is quarantined, not synced.
                    var user = User($"user-{key}", $"user-{key}-{i}@example.com");
                    user["name"] = S(i % 4 == 0 ? "" : $"Reader {i}");
                    await tables.PutAsync(tables.Users, user);
                    break;
                case 7:
                    if (random.Next(3) == 0) await tables.DeleteAsync(tables.Users, "userId", $"user-{key}");
                    else await tables.PutAsync(tables.Orders, Order($"order-{key}", 1 + i % 4, i % 2 == 0 ? "PAID" : "SHIPPED"));
                    break;
                case 8:
                    if (random.Next(3) == 0) await tables.DeleteAsync(tables.Orders, "orderId", $"order-{key}");
                    else await tables.PutAsync(tables.Orders, Order($"order-{key}", 1 + i % 3));
                    break;
                default:
                    if (random.Next(2) == 0) await tables.DeleteAsync(tables.Carts, "userId", $"user-{key}");
                    else await tables.PutAsync(tables.Carts, new Dictionary<string, AttributeValue> { ["userId"] = S($"user-{key}"), ["items"] = N(i.ToString(System.Globalization.CultureInfo.InvariantCulture)) });
                    break;
            }
            writes++;
        }
        return writes;
    }

    /// <summary>A book carrying every attribute type and the values that break naive mappings.</summary>
    public static Dictionary<string, AttributeValue> EdgeBook(string bookId, int version)
    {
        var book = Book(bookId, "12345678901234567890.123456789012345678", version);
        book["rating"] = N("-0.000000000000000000000000000000000001");
        book["description"] = S(version % 2 == 0 ? "" : "ノルウェイの森 📚 e\u0301");
        book["sizes"] = AttributeValue.FromNS(["1", "2.5", "99999999999999999999999999999999999999"]);
        book["scans"] = AttributeValue.FromBS([[1, 2, 3], [255], [0]]);
        book["blob"] = AttributeValue.FromB([0, 1, 127, 128, 255]);
        book["meta"] = AttributeValue.FromM(new Dictionary<string, AttributeValue>
        {
            ["nested"] = AttributeValue.FromM(new Dictionary<string, AttributeValue>
            {
                ["list"] = AttributeValue.FromL([AttributeValue.Null, AttributeValue.True, N("1E+30"), S(""), AttributeValue.FromSS(["a", "b"])]),
                // No empty map: with one, reading DynamoDB Local 3.3.1's GetRecords failed ("names no type").
            }),
        });
        book["version"] = N(version.ToString(System.Globalization.CultureInfo.InvariantCulture));
        return book;
    }
}
