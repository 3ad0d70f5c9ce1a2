using System.Net;
using System.Text;
using Amazon.Runtime;
using CloudShelf.Sync.StreamReading;

namespace CloudShelf.Sync.Tests.StreamReading;

public sealed class DynamoDbStreamsClientTests
{
    /// <summary>Answers every request with one canned response and keeps the request.</summary>
    private sealed class CannedHandler(HttpStatusCode status, string body) : HttpMessageHandler
    {
        public HttpRequestMessage? Request { get; private set; }
        public string? RequestBody { get; private set; }

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            Request = request;
            RequestBody = await request.Content!.ReadAsStringAsync(cancellationToken);
            return new HttpResponseMessage(status) { Content = new StringContent(body, Encoding.UTF8, "application/x-amz-json-1.0") };
        }
    }

#pragma warning disable CA2000 // The client owns the HttpClient and disposes it.
    private static DynamoDbStreamsClient Client(CannedHandler handler) =>
        new(new HttpClient(handler), new Uri("http://127.0.0.1:8000/"), "eu-west-1", new BasicAWSCredentials("AKIDEXAMPLE", "secret"), TimeProvider.System);
#pragma warning restore CA2000

    [Fact]
    public async Task Get_records_reads_the_documented_response_and_signs_the_request()
    {
        // GetRecords' response as the DynamoDB Streams API reference documents it, with a TTL delete.
        using var handler = new CannedHandler(HttpStatusCode.OK, """
            {"NextShardIterator":"it-next","Records":[{"awsRegion":"us-west-2","dynamodb":{"ApproximateCreationDateTime":1.46480646E9,
             "Keys":{"ForumName":{"S":"DynamoDB"},"Subject":{"S":"DynamoDB Thread 3"}},
             "OldImage":{"ForumName":{"S":"DynamoDB"},"Blob":{"B":"AQID"},"Views":{"N":"12345678901234567890123456789012345678"}},
             "SequenceNumber":"300000000000000499659","SizeBytes":41,"StreamViewType":"KEYS_ONLY"},
             "eventID":"e2fd9c34eff2d779b297b26f5fef4206","eventName":"REMOVE","eventSource":"aws:dynamodb","eventVersion":"1.0",
             "userIdentity":{"PrincipalId":"dynamodb.amazonaws.com","Type":"Service"}}]}
            """);
        using var client = Client(handler);

        var page = await client.GetRecordsAsync("it-1", 1000, CancellationToken.None);

        var record = Assert.Single(page.Records);
        Assert.Equal("it-next", page.NextShardIterator);
        Assert.Equal("REMOVE", record.EventName);
        Assert.Equal(1464806460d, record.Dynamodb!.ApproximateCreationDateTime);
        Assert.Equal(new byte[] { 1, 2, 3 }, record.Dynamodb.OldImage!["Blob"].B);
        Assert.Equal("12345678901234567890123456789012345678", record.Dynamodb.OldImage["Views"].N);
        Assert.Equal("dynamodb.amazonaws.com", record.UserIdentity!.PrincipalId);
        Assert.Equal("DynamoDBStreams_20120810.GetRecords", handler.Request!.Headers.GetValues("X-Amz-Target").Single());
        Assert.StartsWith("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/", handler.Request.Headers.GetValues("Authorization").Single(), StringComparison.Ordinal);
        Assert.Contains("/eu-west-1/dynamodb/aws4_request", handler.Request.Headers.GetValues("Authorization").Single(), StringComparison.Ordinal);
        Assert.Equal("""{"ShardIterator":"it-1","Limit":1000}""", handler.RequestBody);
    }

    [Fact]
    public async Task An_error_answer_becomes_an_exception_with_the_error_code()
    {
        using var handler = new CannedHandler(HttpStatusCode.BadRequest,
            """{"__type":"com.amazonaws.dynamodb.v20120810#ExpiredIteratorException","message":"Iterator expired"}""");
        using var client = Client(handler);

        var e = await Assert.ThrowsAsync<StreamsApiException>(() => client.GetRecordsAsync("it-1", 10, CancellationToken.None));

        Assert.Equal(StreamsApiException.ExpiredIterator, e.ErrorCode);
        Assert.Contains("Iterator expired", e.Message, StringComparison.Ordinal);
        Assert.False(e.IsRetryable);
    }

    [Fact]
    public async Task Describe_stream_reads_shards_with_their_lineage()
    {
        using var handler = new CannedHandler(HttpStatusCode.OK, """
            {"StreamDescription":{"StreamArn":"arn:s","TableName":"books","StreamStatus":"ENABLED","StreamViewType":"NEW_AND_OLD_IMAGES",
             "LastEvaluatedShardId":"shardId-2","Shards":[
              {"ShardId":"shardId-1","SequenceNumberRange":{"StartingSequenceNumber":"100","EndingSequenceNumber":"199"}},
              {"ShardId":"shardId-2","ParentShardId":"shardId-1","SequenceNumberRange":{"StartingSequenceNumber":"200"}}]}}
            """);
        using var client = Client(handler);

        var page = await client.DescribeStreamAsync("arn:s", "shardId-0", CancellationToken.None);

        Assert.Equal([new StreamShard("shardId-1", null, "100", "199"), new StreamShard("shardId-2", "shardId-1", "200", null)], page.Shards);
        Assert.Equal("shardId-2", page.LastEvaluatedShardId);
        Assert.Equal("""{"StreamArn":"arn:s","ExclusiveStartShardId":"shardId-0"}""", handler.RequestBody);
    }
}
