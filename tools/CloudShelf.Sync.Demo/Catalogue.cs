using Amazon.DynamoDBv2.Model;
using Bogus;

namespace CloudShelf.Sync.Demo;

/// <summary>
/// A generated CloudShelf catalogue in the Phase 1 item shapes: books, users and orders whose lines
/// reference the books, plus a few genuine defects. The same seed gives the same catalogue.
/// </summary>
internal sealed class Catalogue
{
    /// <summary>"Now" of the generated history, fixed so the seed alone decides every value.</summary>
    public static readonly DateTimeOffset ReferenceTime = new(2026, 11, 1, 9, 0, 0, TimeSpan.Zero);

    private static readonly string[] Categories =
    [
        "fiction", "mystery", "science-fiction", "fantasy", "biography", "history", "science", "travel",
        "cooking", "children", "poetry", "business", "self-help", "graphic-novels", "romance",
    ];

    private static readonly string[] Statuses = ["PENDING", "PAID", "SHIPPED", "DELIVERED", "CANCELLED"];

    private static readonly string[] Currencies = ["EUR", "USD", "GBP"];

    public List<Dictionary<string, AttributeValue>> Books { get; } = [];

    public List<Dictionary<string, AttributeValue>> Users { get; } = [];

    public List<Dictionary<string, AttributeValue>> Orders { get; } = [];

    /// <summary>The kind of the seeded defect that the quarantine must hold until the operator fixes it.</summary>
    public const string DuplicateEmail = "duplicate e-mail";

    public List<SeededDefect> Defects { get; } = [];

    /// <summary>Keys the live traffic must leave alone: the defects stay as seeded, the handover pair is scripted.</summary>
    public HashSet<string> Reserved { get; } = new(StringComparer.Ordinal);

    /// <summary>Two users: the first gives up its e-mail address during the traffic, the second takes it.</summary>
    public (string From, string To) Handover { get; private set; }

    public static Catalogue Generate(DemoOptions options)
    {
        var faker = new Faker("en") { Random = new Randomizer(options.Seed) };
        var catalogue = new Catalogue();
        var emails = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        for (var i = 0; i < options.Books; i++) catalogue.Books.Add(NewBook(faker));
        for (var i = 0; i < options.Users; i++) catalogue.Users.Add(NewUser(faker, emails));
        for (var i = 0; i < options.Orders; i++)
            catalogue.Orders.Add(NewOrder(faker, faker.PickRandom(catalogue.Users), catalogue.Books));
        catalogue.AddDefects(faker);
        return catalogue;
    }

    public static Dictionary<string, AttributeValue> NewBook(Faker f, DateTimeOffset? now = null)
    {
        var created = f.Date.BetweenOffset(ReferenceTime.AddYears(-6), now ?? ReferenceTime);
        var id = "book-" + f.Random.Guid().ToString("N")[..12];
        return new Dictionary<string, AttributeValue>(StringComparer.Ordinal)
        {
            ["bookId"] = Attr.S(id),
            ["title"] = Attr.S(Title(f)),
            ["author"] = Attr.S(f.Name.FullName()),
            ["isbn"] = Attr.S("978" + f.Random.ReplaceNumbers("##########")),
            ["price"] = Attr.Money(f.Random.Decimal(3.99m, 79.99m)),
            ["stock"] = Attr.N(f.Random.Int(0, 400)),
            ["categories"] = Attr.SS(f.Random.ListItems(Categories, f.Random.Int(1, 3))),
            ["description"] = Attr.S(f.Lorem.Paragraph(2)),
            ["publishedDate"] = Attr.S(f.Date.BetweenOffset(ReferenceTime.AddYears(-60), ReferenceTime.AddDays(-30)).ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture)),
            ["coverImageUrl"] = Attr.S($"https://images.cloudshelf.example/covers/{id}.jpg"),
            ["rating"] = Attr.N(Math.Round(f.Random.Decimal(1.0m, 5.0m), 1)),
            ["createdAt"] = Attr.Time(created),
            ["updatedAt"] = Attr.Time(f.Date.BetweenOffset(created, now ?? ReferenceTime)),
        };
    }

    public static Dictionary<string, AttributeValue> NewUser(Faker f, HashSet<string> emails, DateTimeOffset? now = null)
    {
        var first = f.Name.FirstName();
        var last = f.Name.LastName();
        var email = f.Internet.Email(first, last).ToLowerInvariant();
        // Phase 2 forbids two live users with one address: only the seeded defect may break that.
        for (var n = 2; !emails.Add(email); n++) email = f.Internet.Email(first, last, uniqueSuffix: n.ToString(System.Globalization.CultureInfo.InvariantCulture)).ToLowerInvariant();
        var created = f.Date.BetweenOffset(ReferenceTime.AddYears(-5), now ?? ReferenceTime);
        return new Dictionary<string, AttributeValue>(StringComparer.Ordinal)
        {
            ["userId"] = Attr.S("user-" + f.Random.Guid().ToString("N")[..12]),
            ["email"] = Attr.S(email),
            ["name"] = Attr.S($"{first} {last}"),
            ["address"] = Address(f),
            ["preferences"] = Attr.M(new(StringComparer.Ordinal)
            {
                ["currency"] = Attr.S(f.PickRandom(Currencies)),
                ["newsletter"] = Attr.Bool(f.Random.Bool()),
                ["favouriteCategories"] = Attr.L(f.Random.ListItems(Categories, f.Random.Int(0, 3)).Select(Attr.S)),
            }),
            ["marketingOptIn"] = Attr.Bool(f.Random.Bool(0.3f)),
            ["createdAt"] = Attr.Time(created),
            ["lastLoginAt"] = Attr.Time(f.Date.BetweenOffset(created, now ?? ReferenceTime)),
        };
    }

    public static Dictionary<string, AttributeValue> NewOrder(
        Faker f, Dictionary<string, AttributeValue> user, IReadOnlyList<Dictionary<string, AttributeValue>> books, DateTimeOffset? now = null)
    {
        var lines = f.Random.ListItems(books.ToList(), Math.Min(books.Count, f.Random.Int(1, 4)))
            .Select(book => (Book: book, Quantity: f.Random.Int(1, 3)))
            .ToList();
        var subtotal = 0m;
        foreach (var (book, quantity) in lines) subtotal += UnitPrice(book) * quantity;
        var tax = Math.Round(subtotal * 0.2m, 2);
        var created = f.Date.BetweenOffset(ReferenceTime.AddYears(-2), now ?? ReferenceTime);
        return new Dictionary<string, AttributeValue>(StringComparer.Ordinal)
        {
            ["orderId"] = Attr.S("order-" + f.Random.Guid().ToString("N")[..12]),
            ["userId"] = user["userId"],
            ["status"] = Attr.S(now is null ? f.PickRandom(Statuses) : "PENDING"),
            ["items"] = Attr.L(lines.Select(line => Attr.M(new(StringComparer.Ordinal)
            {
                ["bookId"] = line.Book["bookId"],
                ["title"] = line.Book["title"],
                ["quantity"] = Attr.N(line.Quantity),
                ["unitPrice"] = Attr.Money(UnitPrice(line.Book)),
            }))),
            ["subtotal"] = Attr.Money(subtotal),
            ["tax"] = Attr.Money(tax),
            ["total"] = Attr.Money(subtotal + tax),
            ["currency"] = Attr.S(f.PickRandom(Currencies)),
            ["shippingAddress"] = user["address"],
            ["createdAt"] = Attr.Time(created),
            ["updatedAt"] = Attr.Time(f.Date.BetweenOffset(created, now ?? ReferenceTime)),
        };
    }

    public static AttributeValue Address(Faker f) => Attr.M(new(StringComparer.Ordinal)
    {
        ["street"] = Attr.S(f.Address.StreetAddress()),
        ["city"] = Attr.S(f.Address.City()),
        ["postcode"] = Attr.S(f.Address.ZipCode()),
        ["country"] = Attr.S(f.Address.CountryCode()),
    });

    private static string Title(Faker f) => f.Random.Int(0, 3) switch
    {
        0 => $"The {Capital(f.Hacker.Noun())} of {f.Address.City()}",
        1 => $"{Capital(f.Hacker.Adjective())} {Capital(f.Hacker.Noun())}s",
        2 => $"A {Capital(f.Commerce.ProductAdjective())} {f.Date.Month()}",
        _ => $"{f.Name.FirstName()} and the {Capital(f.Hacker.Noun())}",
    };

    private static string Capital(string word) => word.Length == 0 ? word : char.ToUpperInvariant(word[0]) + word[1..];

    /// <summary>A book's price as a number; a defective (ill-typed) price is read from its text.</summary>
    private static decimal UnitPrice(Dictionary<string, AttributeValue> book) =>
        decimal.Parse(book["price"].N ?? book["price"].S, System.Globalization.CultureInfo.InvariantCulture);

    private void AddDefects(Faker f)
    {
        // Hand-rolled Phase 1 code wrote a price as a string once.
        var illTyped = Books[0];
        illTyped["price"] = Attr.S(illTyped["price"].N);
        Defects.Add(new SeededDefect("books", [illTyped["bookId"].S], "ill-typed price",
            "row written, price NULL, the S kept in attributes", QuarantinesOne: false));

        var overflow = Books[1];
        overflow["stock"] = Attr.N("1E+30");
        Defects.Add(new SeededDefect("books", [overflow["bookId"].S], "stock out of integer range",
            "row written, stock NULL, the N kept in attributes", QuarantinesOne: false));

        var extra = Books[2];
        extra["legacySku"] = Attr.S("SKU-" + f.Random.ReplaceNumbers("######"));
        extra["promo"] = Attr.M(new(StringComparer.Ordinal) { ["code"] = Attr.S("AUTUMN10"), ["tags"] = Attr.SS(["autumn", "sale"]) });
        Defects.Add(new SeededDefect("books", [extra["bookId"].S], "extra attributes",
            "row written, legacySku and promo kept in attributes", QuarantinesOne: false));

        var extraUser = Users[0];
        extraUser["loyaltyTier"] = Attr.S("gold");
        Defects.Add(new SeededDefect("users", [extraUser["userId"].S], "extra attribute",
            "row written, loyaltyTier kept in attributes", QuarantinesOne: false));

        var extraOrder = Orders[0];
        extraOrder["giftNote"] = Attr.S(f.Lorem.Sentence());
        Defects.Add(new SeededDefect("orders", [extraOrder["orderId"].S], "extra attribute",
            "row written, giftNote kept in attributes", QuarantinesOne: false));

        // Two accounts with one e-mail address: Phase 2 forbids it, so one of them must surface in the quarantine.
        Users[2]["email"] = Users[1]["email"];
        Defects.Add(new SeededDefect("users", [Users[1]["userId"].S, Users[2]["userId"].S], DuplicateEmail,
            "one of the two quarantined (unique e-mail), the other written", QuarantinesOne: true));

        Handover = (Users[3]["userId"].S, Users[4]["userId"].S);
        foreach (var defect in Defects) Reserved.UnionWith(defect.Keys);
        Reserved.Add(Handover.From);
        Reserved.Add(Handover.To);
    }
}
