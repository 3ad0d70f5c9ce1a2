namespace CloudShelf.Sync.Mapping;

/// <summary>The DynamoDB table names of one stage.</summary>
/// <param name="Books">Books table, <c>cloudshelf-books</c> by default.</param>
/// <param name="Users">Users table, <c>cloudshelf-users</c> by default.</param>
/// <param name="Orders">Orders table, <c>cloudshelf-orders</c> by default.</param>
public sealed record SourceTableNames(string Books, string Users, string Orders)
{
    /// <summary>The default (unprefixed) names.</summary>
    public static SourceTableNames Default { get; } = new("cloudshelf-books", "cloudshelf-users", "cloudshelf-orders");
}

/// <summary>
/// The CloudShelf mapping of the Phase 2 tables (docs/architecture.md, section 5). Adding a table or a column is a change here
/// (and a schema migration), not in the sync code.
/// </summary>
public static class CloudShelfMapping
{
    /// <summary>Builds the mapping for the given DynamoDB table names.</summary>
    public static SyncMapping Create(SourceTableNames names)
    {
        ArgumentNullException.ThrowIfNull(names);
        return new SyncMapping(
        [
            new TableMapping(names.Books, "books", "bookId", "book_id",
            [
                new("title", "title", ColumnType.Text),
                new("author", "author", ColumnType.Text),
                new("isbn", "isbn", ColumnType.Text),
                new("price", "price", ColumnType.Numeric),
                new("stock", "stock", ColumnType.Integer),
                new("categories", "categories", ColumnType.TextArray),
                new("description", "description", ColumnType.Text),
                new("publishedDate", "published_date", ColumnType.Date),
                new("coverImageUrl", "cover_image_url", ColumnType.Text),
                new("rating", "rating", ColumnType.Numeric),
                new("createdAt", "created_at", ColumnType.Timestamp),
                new("updatedAt", "updated_at", ColumnType.Timestamp),
            ], []),
            new TableMapping(names.Users, "users", "userId", "user_id",
            [
                new("email", "email", ColumnType.Text),
                new("name", "name", ColumnType.Text),
                new("address", "address", ColumnType.Json),
                new("preferences", "preferences", ColumnType.Json),
                new("marketingOptIn", "marketing_opt_in", ColumnType.Boolean),
                new("createdAt", "created_at", ColumnType.Timestamp),
                new("lastLoginAt", "last_login_at", ColumnType.Timestamp),
            ], []),
            new TableMapping(names.Orders, "orders", "orderId", "order_id",
            [
                new("userId", "user_id", ColumnType.Text),
                new("status", "status", ColumnType.Text),
                new("subtotal", "subtotal", ColumnType.Numeric),
                new("tax", "tax", ColumnType.Numeric),
                new("total", "total", ColumnType.Numeric),
                new("currency", "currency", ColumnType.Text),
                new("shippingAddress", "shipping_address", ColumnType.Json),
                new("createdAt", "created_at", ColumnType.Timestamp),
                new("updatedAt", "updated_at", ColumnType.Timestamp),
            ],
            [
                new ChildListMapping("items", "order_items", "order_id", "line_no",
                [
                    new("bookId", "book_id", ColumnType.Text),
                    new("title", "title", ColumnType.Text),
                    new("quantity", "quantity", ColumnType.Integer),
                    new("unitPrice", "unit_price", ColumnType.Numeric),
                ]),
            ]),
        ]);
    }
}
