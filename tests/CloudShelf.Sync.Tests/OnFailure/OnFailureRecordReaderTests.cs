using System.Text;
using CloudShelf.Sync.OnFailure;

namespace CloudShelf.Sync.Tests.OnFailure;

public sealed class OnFailureRecordReaderTests
{
    private const string Event = """{"Records":[{"eventID":"1","eventName":"INSERT","eventSourceARN":"arn:aws:dynamodb:eu-west-1:123456789012:table/cloudshelf-books/stream/x","dynamodb":{"Keys":{"bookId":{"S":"b-1"}},"NewImage":{"bookId":{"S":"b-1"}},"SequenceNumber":"100000000000000000001","StreamViewType":"NEW_AND_OLD_IMAGES"}}]}""";

    private static string Envelope(string payload) => $$"""
        {"requestContext":{"requestId":"r","condition":"RetryAttemptsExhausted","approximateInvokeCount":4},
         "version":"1.0","timestamp":"2026-12-01T09:00:00.000Z",
         "DDBStreamBatchInfo":{"shardId":"shardId-1","startSequenceNumber":"100000000000000000001","endSequenceNumber":"100000000000000000001",
           "batchSize":1,"streamArn":"arn:aws:dynamodb:eu-west-1:123456789012:table/cloudshelf-books/stream/x"}{{payload}}}
        """;

    [Fact]
    public void The_batch_is_read_from_a_payload_of_JSON_text()
    {
        var record = OnFailureRecordReader.Read("a.json", Encoding.UTF8.GetBytes(Envelope($",\"payload\":{System.Text.Json.JsonSerializer.Serialize(Event)}")));

        Assert.Equal(("RetryAttemptsExhausted", "shardId-1"), (record.Condition, record.ShardId));
        Assert.Equal("100000000000000000001", Assert.Single(record.Records).Dynamodb!.SequenceNumber);
    }

    [Fact]
    public void The_batch_is_read_from_a_payload_object()
    {
        var record = OnFailureRecordReader.Read("a.json", Encoding.UTF8.GetBytes(Envelope($",\"payload\":{Event}")));

        Assert.Equal("INSERT", Assert.Single(record.Records).EventName);
    }

    [Theory]
    [InlineData("", "holds no payload")]
    [InlineData(",\"payload\":42", "not the event")]
    [InlineData(",\"payload\":\"{\\\"Records\\\":[]}\"", "no Records")]
    public void A_record_without_a_usable_batch_is_refused_naming_the_file(string payload, string reason)
    {
        var error = Assert.Throws<FormatException>(() => OnFailureRecordReader.Read("s3://bucket/x.json", Encoding.UTF8.GetBytes(Envelope(payload))));

        Assert.StartsWith("s3://bucket/x.json: ", error.Message, StringComparison.Ordinal);
        Assert.Contains(reason, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_file_that_is_not_an_on_failure_record_is_refused()
    {
        var error = Assert.Throws<FormatException>(() => OnFailureRecordReader.Read("x.json", Encoding.UTF8.GetBytes(Event)));

        Assert.Contains("DDBStreamBatchInfo", error.Message, StringComparison.Ordinal);
    }
}
