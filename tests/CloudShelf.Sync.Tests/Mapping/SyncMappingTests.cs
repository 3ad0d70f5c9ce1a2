using CloudShelf.Sync.Mapping;

namespace CloudShelf.Sync.Tests.Mapping;

public sealed class SyncMappingTests
{
    private static TableMapping Books(string source = "cloudshelf-books", string table = "books", params ColumnMapping[] columns) =>
        new(source, table, "bookId", "book_id", columns.Length == 0 ? [new("title", "title", ColumnType.Text)] : columns, []);

    [Theory]
    [InlineData("Title")]
    [InlineData("title; drop table books")]
    [InlineData("\"title\"")]
    [InlineData("1title")]
    [InlineData("")]
    [InlineData("published-date")]
    public void A_column_name_that_is_no_plain_identifier_is_refused(string column)
    {
        var e = Assert.Throws<ArgumentException>(() => new SyncMapping([Books(columns: new ColumnMapping("title", column, ColumnType.Text))]));

        Assert.Contains("not a plain SQL identifier", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_table_name_that_is_no_plain_identifier_is_refused()
    {
        Assert.Throws<ArgumentException>(() => new SyncMapping([Books(table: "Books")]));
    }

    [Fact]
    public void A_schema_that_is_no_plain_identifier_is_refused()
    {
        Assert.Throws<ArgumentException>(() => new SyncMapping([Books() with { Schema = "cloud shelf" }]));
    }

    [Fact]
    public void A_column_mapped_twice_is_refused()
    {
        var e = Assert.Throws<ArgumentException>(() => new SyncMapping([Books(columns:
        [
            new("title", "title", ColumnType.Text),
            new("subtitle", "title", ColumnType.Text),
        ])]));

        Assert.Contains("'title' twice", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_column_that_clashes_with_the_key_or_attributes_column_is_refused()
    {
        Assert.Throws<ArgumentException>(() => new SyncMapping([Books(columns: new ColumnMapping("id", "book_id", ColumnType.Text))]));
        Assert.Throws<ArgumentException>(() => new SyncMapping([Books(columns: new ColumnMapping("extra", "attributes", ColumnType.Json))]));
    }

    [Fact]
    public void An_attribute_mapped_twice_is_refused()
    {
        var e = Assert.Throws<ArgumentException>(() => new SyncMapping([Books(columns:
        [
            new("title", "title", ColumnType.Text),
            new("title", "title_again", ColumnType.Text),
        ])]));

        Assert.Contains("attribute 'title' twice", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_source_table_mapped_twice_is_refused()
    {
        var e = Assert.Throws<ArgumentException>(() => new SyncMapping([Books(), Books(table: "books_copy")]));

        Assert.Contains("'cloudshelf-books' is mapped twice", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_target_table_mapped_twice_is_refused()
    {
        var e = Assert.Throws<ArgumentException>(() => new SyncMapping([Books(), Books(source: "cloudshelf-books-v2")]));

        Assert.Contains("'books' is the target of two mappings", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_child_table_that_is_also_a_parent_table_is_refused()
    {
        var orders = new TableMapping("cloudshelf-orders", "orders", "orderId", "order_id", [],
            [new ChildListMapping("items", "books", "order_id", "line_no", [])]);

        Assert.Throws<ArgumentException>(() => new SyncMapping([Books(), orders]));
    }

    [Fact]
    public void A_mapping_without_a_source_table_is_refused()
    {
        Assert.Throws<ArgumentException>(() => new SyncMapping([Books(source: " ")]));
    }

    [Fact]
    public void The_cloudshelf_mapping_is_valid_and_sorted_by_target_table()
    {
        var mapping = CloudShelfMapping.Create(SourceTableNames.Default);

        Assert.Equal(["books", "orders", "users"], mapping.Tables.Select(t => t.Table));
        Assert.Equal("orders", mapping.ForSourceTable("cloudshelf-orders")?.Table);
        Assert.Equal("order_items", Assert.Single(mapping.ForTable("orders")!.Children).Table);
        Assert.Null(mapping.ForSourceTable("cloudshelf-carts"));
        Assert.Null(mapping.ForTable("order_items"));
        Assert.All(mapping.Tables, t => Assert.Equal("cloudshelf", t.Schema));
    }

    [Fact]
    public void The_cloudshelf_mapping_follows_stage_prefixed_table_names()
    {
        var mapping = CloudShelfMapping.Create(new SourceTableNames("cloudshelf-prod-books", "cloudshelf-prod-users", "cloudshelf-prod-orders"));

        Assert.Equal("books", mapping.ForSourceTable("cloudshelf-prod-books")?.Table);
        Assert.Null(mapping.ForSourceTable("cloudshelf-books"));
    }

    [Fact]
    public void The_cloudshelf_mapping_has_the_public_columns_of_the_model()
    {
        var mapping = CloudShelfMapping.Create(SourceTableNames.Default);

        Assert.Equal(
            ["title", "author", "isbn", "price", "stock", "categories", "description", "published_date", "cover_image_url", "rating", "created_at", "updated_at"],
            mapping.ForTable("books")!.Columns.Select(c => c.Column));
        Assert.Equal(
            ["email", "name", "address", "preferences", "marketing_opt_in", "created_at", "last_login_at"],
            mapping.ForTable("users")!.Columns.Select(c => c.Column));
        Assert.Equal(
            ["user_id", "status", "subtotal", "tax", "total", "currency", "shipping_address", "created_at", "updated_at"],
            mapping.ForTable("orders")!.Columns.Select(c => c.Column));
        Assert.Equal(["book_id", "title", "quantity", "unit_price"], mapping.ForTable("orders")!.Children[0].Columns.Select(c => c.Column));
    }

    [Fact]
    public void A_child_list_whose_parent_key_and_position_share_a_column_is_refused()
    {
        var orders = new TableMapping("cloudshelf-orders", "orders", "orderId", "order_id", [],
            [new ChildListMapping("items", "order_items", "line_no", "line_no", [])]);

        Assert.Throws<ArgumentException>(() => new SyncMapping([orders]));
    }

    [Fact]
    public void A_child_element_attribute_mapped_twice_is_refused()
    {
        var orders = new TableMapping("cloudshelf-orders", "orders", "orderId", "order_id", [],
            [new ChildListMapping("items", "order_items", "order_id", "line_no",
                [new("bookId", "book_id", ColumnType.Text), new("bookId", "book_ref", ColumnType.Text)])]);

        Assert.Throws<ArgumentException>(() => new SyncMapping([orders]));
    }
}
