using CloudShelf.Sync.Streams;

namespace CloudShelf.Sync.Tests.Streams;

public sealed class SampleEventTests
{
    public static TheoryData<string> Files() => new(SampleEvents.All());

    [Fact]
    public void Every_sample_file_is_copied_to_the_test_output()
    {
        // A missing copy would make the theory below pass vacuously.
        Assert.Equal(16, SampleEvents.All().Count());
    }

    [Theory]
    [MemberData(nameof(Files))]
    public void Every_sample_event_parses_without_a_read_error(string file)
    {
        var dynamoEvent = SampleEvents.Read(file);

        Assert.NotEmpty(dynamoEvent.Records);
        Assert.All(dynamoEvent.Records, record =>
        {
            Assert.Null(record.ReadError);
            Assert.NotNull(record.Raw);
            Assert.Contains(record.EventName, new[] { "INSERT", "MODIFY", "REMOVE" });
            Assert.Equal("aws:dynamodb", record.EventSource);
            Assert.Equal("eu-west-1", record.AwsRegion);
            Assert.NotNull(record.Dynamodb);
            Assert.True(SequenceNumbers.IsValid(record.Dynamodb.SequenceNumber), record.Dynamodb.SequenceNumber);
            Assert.NotNull(record.Dynamodb.Keys);
            Assert.NotNull(StreamArn.TableName(record.EventSourceArn));
        });
    }

    [Theory]
    [InlineData("aws-sample.json", 3, "ExampleTableWithStream", "Id", null)]
    [InlineData("books-insert.json", 2, "cloudshelf-books", "bookId", "book-7f3a9c21")]
    [InlineData("books-modify.json", 1, "cloudshelf-books", "bookId", "book-7f3a9c21")]
    [InlineData("books-remove.json", 1, "cloudshelf-books", "bookId", "book-7f3a9c21")]
    [InlineData("carts-modify.json", 1, "cloudshelf-carts", "userId", "user-9d1f7a63")]
    [InlineData("duplicate-email-users-insert.json", 3, "cloudshelf-users", "userId", "user-a1f3c5e7")]
    [InlineData("edge-cases-books-insert.json", 1, "cloudshelf-books", "bookId", "book-e0d9e5a1")]
    [InlineData("keys-only-insert.json", 1, "cloudshelf-books", "bookId", "book-3e5d7a90")]
    [InlineData("mixed-batch.json", 8, "cloudshelf-books", "bookId", "book-e81b3f44")]
    [InlineData("orders-insert.json", 1, "cloudshelf-orders", "orderId", "ord-20261120-8f31c2")]
    [InlineData("orders-modify.json", 1, "cloudshelf-orders", "orderId", "ord-20261120-8f31c2")]
    [InlineData("orders-remove.json", 1, "cloudshelf-orders", "orderId", "ord-20261120-8f31c2")]
    [InlineData("orders-ttl-remove.json", 1, "cloudshelf-orders", "orderId", "ord-20261101-1d7e55")]
    [InlineData("users-insert.json", 2, "cloudshelf-users", "userId", "user-4b8e21d0")]
    [InlineData("users-modify.json", 1, "cloudshelf-users", "userId", "user-4b8e21d0")]
    [InlineData("users-remove.json", 1, "cloudshelf-users", "userId", "user-4b8e21d0")]
    public void Each_sample_has_the_records_its_readme_describes(string file, int count, string table, string keyAttribute, string? firstKey)
    {
        var records = SampleEvents.Read(file).Records;

        Assert.Equal(count, records.Count);
        Assert.Equal(table, StreamArn.TableName(records[0].EventSourceArn));
        var key = records[0].Dynamodb!.Keys![keyAttribute];
        if (firstKey is not null) Assert.Equal(AttributeValue.FromS(firstKey), key);
        else Assert.Equal(AttributeValue.FromN("4711"), key);
    }

    [Fact]
    public void Inserts_carry_only_a_new_image_and_removes_only_an_old_one()
    {
        var insert = Assert.Single(SampleEvents.Read("orders-insert.json").Records).Dynamodb!;
        var modify = Assert.Single(SampleEvents.Read("orders-modify.json").Records).Dynamodb!;
        var remove = Assert.Single(SampleEvents.Read("orders-remove.json").Records).Dynamodb!;

        Assert.NotNull(insert.NewImage);
        Assert.Null(insert.OldImage);
        Assert.NotNull(modify.NewImage);
        Assert.NotNull(modify.OldImage);
        Assert.Null(remove.NewImage);
        Assert.NotNull(remove.OldImage);
    }

    [Fact]
    public void Each_later_file_of_a_chain_starts_from_the_new_image_of_the_earlier()
    {
        var inserted = SampleEvents.Read("books-insert.json").Records[0].Dynamodb!.NewImage!;
        var modify = Assert.Single(SampleEvents.Read("books-modify.json").Records).Dynamodb!;
        var removed = Assert.Single(SampleEvents.Read("books-remove.json").Records).Dynamodb!;

        Assert.True(ItemEquality.Equal(inserted, modify.OldImage!));
        Assert.True(ItemEquality.Equal(modify.NewImage!, removed.OldImage!));
        Assert.Equal(AttributeValue.FromN("18.99"), modify.OldImage!["price"]);
        Assert.Equal(AttributeValue.FromN("14.99"), modify.NewImage!["price"]);
    }

    [Fact]
    public void The_aws_sample_has_a_record_without_a_creation_time_and_one_written_with_a_fraction()
    {
        var records = SampleEvents.Read("aws-sample.json").Records;

        Assert.Equal(["INSERT", "MODIFY", "REMOVE"], records.Select(r => r.EventName));
        Assert.Equal(DateTimeOffset.FromUnixTimeSeconds(1795179600), records[0].Dynamodb!.ApproximateCreationDateTime);
        // Written as 1795179900.0 in the file.
        Assert.Equal(DateTimeOffset.FromUnixTimeSeconds(1795179900), records[1].Dynamodb!.ApproximateCreationDateTime);
        Assert.Null(records[2].Dynamodb!.ApproximateCreationDateTime);
        Assert.Equal("1.0", records[0].EventVersion);
        Assert.Equal(AttributeValue.FromS("This message was edited"), records[1].Dynamodb!.NewImage!["Message"]);
        Assert.Equal(["100000000000000000111", "100000000000000000222", "100000000000000000333"],
            records.Select(r => r.Dynamodb!.SequenceNumber));
    }

    [Fact]
    public void The_keys_only_sample_has_no_images()
    {
        var change = Assert.Single(SampleEvents.Read("keys-only-insert.json").Records).Dynamodb!;

        Assert.Equal("KEYS_ONLY", change.StreamViewType);
        Assert.Null(change.NewImage);
        Assert.Null(change.OldImage);
        Assert.Equal(AttributeValue.FromS("book-3e5d7a90"), Assert.Single(change.Keys!).Value);
    }

    [Fact]
    public void The_ttl_sample_names_dynamodb_as_the_deleting_principal()
    {
        var record = Assert.Single(SampleEvents.Read("orders-ttl-remove.json").Records);

        Assert.Equal("REMOVE", record.EventName);
        Assert.Equal("Service", record.UserIdentity?.Type);
        Assert.Equal("dynamodb.amazonaws.com", record.UserIdentity?.PrincipalId);
    }

    [Fact]
    public void The_mixed_batch_has_sequence_numbers_that_text_order_gets_wrong()
    {
        var sequences = SampleEvents.Read("mixed-batch.json").Records.Select(r => r.Dynamodb!.SequenceNumber!).ToList();

        Assert.Equal(sequences, sequences.Order(SequenceNumbers.Comparer));
        Assert.NotEqual(sequences, sequences.Order(StringComparer.Ordinal));
        Assert.Equal([23, 24], sequences.Select(s => s.Length).Distinct().Order());
    }

    [Fact]
    public void The_edge_case_sample_holds_every_attribute_type()
    {
        var image = Assert.Single(SampleEvents.Read("edge-cases-books-insert.json").Records).Dynamodb!.NewImage!;

        var types = new HashSet<AttributeType>();
        void Collect(AttributeValue value)
        {
            types.Add(value.Type);
            foreach (var inner in value.M?.Values ?? value.L ?? Enumerable.Empty<AttributeValue>()) Collect(inner);
        }
        foreach (var value in image.Values) Collect(value);

        Assert.Equal(Enum.GetValues<AttributeType>().ToHashSet(), types);
        Assert.Equal(AttributeValue.FromS("twelve"), image["price"]);
        Assert.Equal(AttributeValue.FromN("1E+30"), image["stock"]);
        Assert.Equal("12345678901234567890.123456789012345678", image["precisionProbe"].N);
        Assert.Equal(new byte[] { 0, 1, 2, 3, 4 }, image["seriesInfo"].L![6].B);
        Assert.Equal("", image["subtitle"].S);
        Assert.Equal("ノルウェイの森 Norwegian Wood 📚🌲", image["title"].S);
    }
}
