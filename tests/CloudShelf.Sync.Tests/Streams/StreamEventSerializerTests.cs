using System.Text;
using System.Text.Json;
using CloudShelf.Sync.Streams;
using CloudShelf.Sync.Testing;

namespace CloudShelf.Sync.Tests.Streams;

public sealed class StreamEventSerializerTests
{
    private static string RecordJson(string sequenceNumber, string newImageJson, string creationTimeJson = "1795600000") => $$"""
        {
          "eventID": "id-{{sequenceNumber}}",
          "eventName": "INSERT",
          "eventVersion": "1.1",
          "eventSource": "aws:dynamodb",
          "awsRegion": "eu-west-1",
          "dynamodb": {
            "ApproximateCreationDateTime": {{creationTimeJson}},
            "Keys": { "bookId": { "S": "book-{{sequenceNumber}}" } },
            "NewImage": {{newImageJson}},
            "SequenceNumber": "{{sequenceNumber}}",
            "SizeBytes": 64,
            "StreamViewType": "NEW_AND_OLD_IMAGES"
          },
          "eventSourceARN": "{{StreamEvents.Arn(StreamEvents.Books)}}"
        }
        """;

    private static string Good(string sequenceNumber) =>
        RecordJson(sequenceNumber, $$"""{ "bookId": { "S": "book-{{sequenceNumber}}" }, "price": { "N": "9.99" } }""");

    private static DynamoDBEvent Read(params string[] records) =>
        StreamEventSerializer.ReadEvent(Encoding.UTF8.GetBytes($"{{\"Records\":[{string.Join(',', records)}]}}"));

    private static DateTimeOffset? CreationTime(string json) =>
        Assert.Single(Read(RecordJson("1", """{ "bookId": { "S": "book-1" } }""", json)).Records).Dynamodb!.ApproximateCreationDateTime;

    [Fact]
    public void A_creation_time_in_milliseconds_reads_as_the_same_instant_as_fractional_seconds()
    {
        var milliseconds = CreationTime("1795600000123");
        var seconds = CreationTime("1795600000.123");

        Assert.Equal(DateTimeOffset.FromUnixTimeMilliseconds(1795600000123), milliseconds);
        Assert.Equal(milliseconds, seconds);
    }

    [Fact]
    public void A_creation_time_in_whole_seconds_reads_as_seconds()
    {
        Assert.Equal(DateTimeOffset.FromUnixTimeSeconds(1795600000), CreationTime("1795600000"));
    }

    [Fact]
    public void Seconds_up_to_the_year_5000_stay_seconds_and_beyond_it_are_milliseconds()
    {
        // 95617584000 is 5000-01-01T00:00:00Z in epoch seconds.
        Assert.Equal(new DateTimeOffset(5000, 1, 1, 0, 0, 0, TimeSpan.Zero), CreationTime("95617584000"));
        Assert.Equal(DateTimeOffset.FromUnixTimeMilliseconds(95617584001), CreationTime("95617584001"));
    }

    [Fact]
    public void A_null_creation_time_reads_as_null()
    {
        Assert.Null(CreationTime("null"));
    }

    [Fact]
    public void A_creation_time_out_of_range_makes_only_that_record_unreadable()
    {
        var records = Read(RecordJson("1", """{ "bookId": { "S": "book-1" } }""", "-1e300"), Good("2")).Records;

        Assert.NotNull(records[0].ReadError);
        Assert.Null(records[1].ReadError);
    }

    [Theory]
    [InlineData("""{ "bookId": { "S": "book-2" }, "price": { "X": "1" } }""", "X")]
    [InlineData("""{ "bookId": { "S": "book-2" }, "price": { "N": 9.99 } }""", "9.99")]
    [InlineData("""{ "bookId": { "S": "book-2" }, "price": { "S": "a", "N": "1" } }""", "\"N\"")]
    [InlineData("""{ "bookId": { "S": "book-2" }, "cover": { "B": "not base64!" } }""", "not base64!")]
    [InlineData("""{ "bookId": { "S": "book-2" }, "gone": { "NULL": false } }""", "NULL")]
    [InlineData("""[ "not", "a", "map" ]""", "not")]
    public void A_malformed_record_keeps_its_raw_json_and_the_others_of_the_event_parse(string newImage, string rawFragment)
    {
        var records = Read(Good("1"), RecordJson("2", newImage), Good("3")).Records;

        Assert.Equal(3, records.Count);
        Assert.Null(records[0].ReadError);
        Assert.Null(records[2].ReadError);
        Assert.Equal(AttributeValue.FromN("9.99"), records[2].Dynamodb!.NewImage!["price"]);

        var bad = records[1];
        Assert.NotNull(bad.ReadError);
        Assert.NotNull(bad.Raw);
        Assert.Contains(rawFragment, StreamEventSerializer.RecordJson(bad), StringComparison.Ordinal);
        using var raw = JsonDocument.Parse(StreamEventSerializer.RecordJson(bad));
        Assert.Equal("id-2", raw.RootElement.GetProperty("eventID").GetString());
        // What identifies the record is salvaged for the quarantine row and the logs.
        Assert.Equal("id-2", bad.EventId);
        Assert.Equal("INSERT", bad.EventName);
        Assert.Equal(StreamEvents.Arn(StreamEvents.Books), bad.EventSourceArn);
        Assert.Equal("2", bad.Dynamodb?.SequenceNumber);
    }

    [Fact]
    public void An_unknown_attribute_type_is_named_in_the_read_error()
    {
        var bad = Read(RecordJson("2", """{ "bookId": { "S": "book-2" }, "price": { "X": "1" } }""")).Records[0];

        Assert.Contains("'X'", bad.ReadError, StringComparison.Ordinal);
    }

    [Fact]
    public void A_record_that_is_not_an_object_is_kept_raw()
    {
        var records = Read("42", "null", Good("3")).Records;

        Assert.Equal("42", StreamEventSerializer.RecordJson(records[0]));
        Assert.NotNull(records[0].ReadError);
        Assert.Equal("null", StreamEventSerializer.RecordJson(records[1]));
        Assert.NotNull(records[1].ReadError);
        Assert.Null(records[2].ReadError);
    }

    [Fact]
    public void An_event_without_a_records_array_is_refused_as_a_whole()
    {
        Assert.ThrowsAny<JsonException>(() => StreamEventSerializer.ReadEvent("""{"Records":{}}"""u8.ToArray()));
        Assert.ThrowsAny<JsonException>(() => StreamEventSerializer.ReadEvent("null"u8.ToArray()));
    }

    [Fact]
    public async Task Reading_from_a_stream_keeps_malformed_records_as_the_span_reader_does()
    {
        var json = $"{{\"Records\":[{Good("1")},{RecordJson("2", """{ "bookId": { "S": "b" }, "p": { "N": 1 } }""")}]}}";
        using var stream = new MemoryStream(Encoding.UTF8.GetBytes(json));

        var records = (await StreamEventSerializer.ReadEventAsync(stream)).Records;

        Assert.Null(records[0].ReadError);
        Assert.NotNull(records[1].ReadError);
        Assert.Contains("\"N\": 1", StreamEventSerializer.RecordJson(records[1]), StringComparison.Ordinal);
    }

    [Fact]
    public void A_response_with_one_failure_is_exactly_the_lambda_shape()
    {
        var response = new StreamsEventResponse { BatchItemFailures = [new BatchItemFailure { ItemIdentifier = "123" }] };

        Assert.Equal("""{"batchItemFailures":[{"itemIdentifier":"123"}]}""", Encoding.UTF8.GetString(StreamEventSerializer.WriteResponse(response)));
    }

    [Fact]
    public void A_response_without_failures_is_an_empty_list()
    {
        Assert.Equal("""{"batchItemFailures":[]}""", Encoding.UTF8.GetString(StreamEventSerializer.WriteResponse(new StreamsEventResponse())));
    }

    [Fact]
    public void A_response_reads_back()
    {
        var response = StreamEventSerializer.ReadResponse("""{"batchItemFailures":[{"itemIdentifier":"9"},{"itemIdentifier":"10"}]}"""u8);

        Assert.Equal(["9", "10"], response.BatchItemFailures.Select(f => f.ItemIdentifier));
    }

    [Fact]
    public void A_readable_record_survives_the_quarantine_round_trip()
    {
        var record = StreamEvents.Remove(StreamEvents.Orders, "62009900000000039812400017", "ord-1", ttl: true);
        record.Dynamodb!.ApproximateCreationDateTime = DateTimeOffset.FromUnixTimeMilliseconds(1795600000123);

        var back = StreamEventSerializer.ReadRecordTolerant(StreamEventSerializer.RecordJson(record));

        Assert.Null(back.ReadError);
        Assert.Equal(record.EventId, back.EventId);
        Assert.Equal("REMOVE", back.EventName);
        Assert.Equal(record.EventSourceArn, back.EventSourceArn);
        Assert.Equal(record.Dynamodb.SequenceNumber, back.Dynamodb!.SequenceNumber);
        Assert.Equal(record.Dynamodb.ApproximateCreationDateTime, back.Dynamodb.ApproximateCreationDateTime);
        Assert.True(ItemEquality.Equal(record.Dynamodb.Keys!, back.Dynamodb.Keys!));
        Assert.Equal("dynamodb.amazonaws.com", back.UserIdentity?.PrincipalId);
    }

    [Fact]
    public void An_unreadable_record_is_quarantined_as_delivered_and_reads_back_unreadable()
    {
        var bad = Read(RecordJson("2", """{ "bookId": { "S": "book-2" }, "price": { "X": "1" } }""")).Records[0];

        var json = StreamEventSerializer.RecordJson(bad);
        var back = StreamEventSerializer.ReadRecordTolerant(json);

        Assert.Equal(StreamEventSerializer.RecordJson(bad), json);
        Assert.NotNull(back.ReadError);
        Assert.Equal("2", back.Dynamodb?.SequenceNumber);
    }
}
