using System.Diagnostics;
using Amazon.DynamoDBv2;
using Amazon.DynamoDBv2.Model;
using Bogus;

namespace CloudShelf.Sync.Demo;

/// <summary>
/// Phase 1's live traffic while the migration runs: new orders, status changes, stock updates,
/// profile edits, deletes and re-inserts, cart writes, and halfway through an e-mail address handed
/// from one user to another. Every write goes through the AWS SDK, at a steady rate.
/// </summary>
internal sealed class Traffic(IAmazonDynamoDB client, Catalogue catalogue, WriteLog log, int seed, TimeProvider time)
{
    private static readonly (string Kind, int Weight)[] Mix =
    [
        ("new order", 24), ("order status", 20), ("stock update", 14), ("profile edit", 10), ("cart write", 12),
        ("new book", 4), ("new user", 4), ("order delete", 5), ("order re-insert", 3), ("book delete", 2), ("user delete", 2),
    ];

    private static readonly Dictionary<string, string[]> NextStatus = new(StringComparer.Ordinal)
    {
        ["PENDING"] = ["PAID", "CANCELLED"], ["PAID"] = ["SHIPPED", "CANCELLED"], ["SHIPPED"] = ["DELIVERED"],
        ["DELIVERED"] = ["DELIVERED"], ["CANCELLED"] = ["CANCELLED"],
    };

    private readonly Faker _faker = new("en") { Random = new Randomizer(seed + 1) };
    private readonly LiveSet _books = new(catalogue.Books, "bookId", catalogue.Reserved);
    private readonly LiveSet _users = new(catalogue.Users, "userId", catalogue.Reserved);
    private readonly LiveSet _orders = new(catalogue.Orders, "orderId", catalogue.Reserved);
    private readonly List<Dictionary<string, AttributeValue>> _deletedOrders = [];
    private readonly HashSet<string> _emails = new(catalogue.Users.Select(u => u["email"].S), StringComparer.OrdinalIgnoreCase);

    /// <summary>How long the last <see cref="RunAsync"/> took, from its first write to its last answer.</summary>
    public TimeSpan Elapsed { get; private set; }

    /// <summary>Writes at <paramref name="rate"/> per second for <paramref name="duration"/>, then returns.</summary>
    /// <remarks>
    /// Each write is chosen and its item changed here, in order, on one thread; only the SDK calls
    /// overlap (up to <see cref="InFlight"/>), so a slow request does not slow the rate down.
    /// </remarks>
    public async Task RunAsync(TimeSpan duration, int rate, CancellationToken cancellationToken)
    {
        var total = (int)Math.Max(1, duration.TotalSeconds * rate);
        var interval = TimeSpan.FromSeconds(1.0 / rate);
        var started = Stopwatch.GetTimestamp();
        var inFlight = new List<Task>();
        try
        {
            for (var i = 0; i < total; i++)
            {
                var due = interval * i - Stopwatch.GetElapsedTime(started);
                if (due > TimeSpan.Zero) await Task.Delay(due, cancellationToken);
                inFlight.RemoveAll(t => t.IsCompletedSuccessfully);
                if (inFlight.Count >= InFlight) await Task.WhenAny(inFlight);
                if (i == total / 2)
                {
                    // The two changes of the handover are sent one after the other, as one person's edits would be.
                    await Task.WhenAll(inFlight);
                    await HandOverEmailAsync(cancellationToken);
                }
                inFlight.Add(WriteOneAsync(Pick(), cancellationToken));
            }
        }
        finally
        {
            await Task.WhenAll(inFlight);
            Elapsed = Stopwatch.GetElapsedTime(started);
        }
    }

    private const int InFlight = 8;

    private string Pick()
    {
        var roll = _faker.Random.Int(1, Mix.Sum(m => m.Weight));
        foreach (var (kind, weight) in Mix)
        {
            if ((roll -= weight) <= 0) return kind;
        }
        return Mix[0].Kind;
    }

    private async Task WriteOneAsync(string kind, CancellationToken ct)
    {
        var now = time.GetUtcNow();
        switch (kind)
        {
            case "new order" when _users.Count > 0 && _books.Count > 0:
            {
                var order = Catalogue.NewOrder(_faker, _users.Random(_faker), _books.Sample(_faker, 4), now);
                await PutAsync(kind, PhaseOneTables.Orders, "orders", order, _orders, ct);
                break;
            }
            case "order status" when _orders.Count > 0:
            {
                var order = _orders.Random(_faker);
                var status = _faker.PickRandom(NextStatus[order["status"].S]);
                order["status"] = Attr.S(status);
                order["updatedAt"] = Attr.Time(now);
                await UpdateAsync(kind, PhaseOneTables.Orders, "orders", "orderId", order,
                    "SET #s = :s, updatedAt = :u", new() { ["#s"] = "status" }, new() { [":s"] = order["status"], [":u"] = order["updatedAt"] }, ct);
                break;
            }
            case "stock update" when _books.Count > 0:
            {
                var book = _books.Random(_faker);
                book["stock"] = Attr.N(_faker.Random.Int(0, 400));
                book["updatedAt"] = Attr.Time(now);
                await UpdateAsync(kind, PhaseOneTables.Books, "books", "bookId", book,
                    "SET stock = :s, updatedAt = :u", null, new() { [":s"] = book["stock"], [":u"] = book["updatedAt"] }, ct);
                break;
            }
            case "profile edit" when _users.Count > 0:
            {
                var user = _users.Random(_faker);
                user["address"] = Catalogue.Address(_faker);
                user["lastLoginAt"] = Attr.Time(now);
                await UpdateAsync(kind, PhaseOneTables.Users, "users", "userId", user,
                    "SET address = :a, lastLoginAt = :l", null, new() { [":a"] = user["address"], [":l"] = user["lastLoginAt"] }, ct);
                break;
            }
            case "cart write" when _users.Count > 0 && _books.Count > 0:
            {
                var cart = new Dictionary<string, AttributeValue>(StringComparer.Ordinal)
                {
                    ["userId"] = _users.Random(_faker)["userId"],
                    ["items"] = Attr.L(_books.Sample(_faker, 3).Select(b => Attr.M(new(StringComparer.Ordinal)
                    {
                        ["bookId"] = b["bookId"], ["quantity"] = Attr.N(_faker.Random.Int(1, 2)),
                    }))),
                    ["updatedAt"] = Attr.Time(now),
                };
                log.Record(kind, "", "", now);
                await client.PutItemAsync(new PutItemRequest { TableName = PhaseOneTables.Carts, Item = cart }, ct);
                break;
            }
            case "new book":
                await PutAsync(kind, PhaseOneTables.Books, "books", Catalogue.NewBook(_faker, now), _books, ct);
                break;
            case "new user":
                await PutAsync(kind, PhaseOneTables.Users, "users", Catalogue.NewUser(_faker, _emails, now), _users, ct);
                break;
            case "order delete" when _orders.Count > 0:
                _deletedOrders.Add(await DeleteAsync(kind, PhaseOneTables.Orders, "orders", "orderId", _orders, ct));
                break;
            case "order re-insert" when _deletedOrders.Count > 0:
            {
                var order = _deletedOrders[^1];
                _deletedOrders.RemoveAt(_deletedOrders.Count - 1);
                order["updatedAt"] = Attr.Time(now);
                await PutAsync(kind, PhaseOneTables.Orders, "orders", order, _orders, ct);
                break;
            }
            case "book delete" when _books.Count > 10:
                await DeleteAsync(kind, PhaseOneTables.Books, "books", "bookId", _books, ct);
                break;
            case "user delete" when _users.Count > 10:
                await DeleteAsync(kind, PhaseOneTables.Users, "users", "userId", _users, ct);
                break;
            default:
                // The pick found nothing to act on (e.g. no deleted order yet): a new order instead.
                if (kind != "new order") await WriteOneAsync("new order", ct);
                break;
        }
    }

    /// <summary>
    /// The first user changes address and the second takes the old one over. In PostgreSQL the second
    /// change can only land after the first; if it lands first it is an ordering conflict, not a defect.
    /// </summary>
    private async Task HandOverEmailAsync(CancellationToken ct)
    {
        var from = catalogue.Users.First(u => u["userId"].S == catalogue.Handover.From);
        var to = catalogue.Users.First(u => u["userId"].S == catalogue.Handover.To);
        var address = from["email"];
        var replacement = Attr.S("new." + address.S);
        _emails.Add(replacement.S);
        var now = time.GetUtcNow();
        await UpdateAsync("e-mail handover", PhaseOneTables.Users, "users", "userId", from,
            "SET email = :e, lastLoginAt = :l", null, new() { [":e"] = replacement, [":l"] = Attr.Time(now) }, ct);
        now = time.GetUtcNow();
        await UpdateAsync("e-mail handover", PhaseOneTables.Users, "users", "userId", to,
            "SET email = :e, lastLoginAt = :l", null, new() { [":e"] = address, [":l"] = Attr.Time(now) }, ct);
    }

    private async Task PutAsync(string kind, string table, string target, Dictionary<string, AttributeValue> item, LiveSet live, CancellationToken ct)
    {
        live.Add(item);
        log.Record(kind, target, item[live.KeyAttribute].S, time.GetUtcNow());
        // A copy: later writes change this item while the SDK may still be serialising it.
        await client.PutItemAsync(new PutItemRequest { TableName = table, Item = Attr.Copy(item) }, ct);
    }

    private async Task UpdateAsync(string kind, string table, string target, string keyAttribute, Dictionary<string, AttributeValue> item,
        string expression, Dictionary<string, string>? names, Dictionary<string, AttributeValue> values, CancellationToken ct)
    {
        var key = item[keyAttribute].S;
        log.Record(kind, target, key, time.GetUtcNow());
        await client.UpdateItemAsync(new UpdateItemRequest
        {
            TableName = table,
            Key = new Dictionary<string, AttributeValue> { [keyAttribute] = Attr.S(key) },
            UpdateExpression = expression,
            ExpressionAttributeNames = names,
            ExpressionAttributeValues = values,
        }, ct);
    }

    private async Task<Dictionary<string, AttributeValue>> DeleteAsync(string kind, string table, string target, string keyAttribute, LiveSet live, CancellationToken ct)
    {
        var item = live.TakeRandom(_faker);
        var key = item[keyAttribute].S;
        log.Record(kind, target, key, time.GetUtcNow(), deleted: true);
        await client.DeleteItemAsync(new DeleteItemRequest { TableName = table, Key = new Dictionary<string, AttributeValue> { [keyAttribute] = Attr.S(key) } }, ct);
        return item;
    }
}
