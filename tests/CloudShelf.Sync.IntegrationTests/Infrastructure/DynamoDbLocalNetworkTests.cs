using Amazon.DynamoDBv2;
using Amazon.DynamoDBv2.Model;
using Amazon.Runtime;
using CloudShelf.Sync.StreamReading;
using CloudShelf.Sync.Testing;

namespace CloudShelf.Sync.IntegrationTests.Infrastructure;

/// <summary>
/// DynamoDB Local must make no outbound connection (it runs with <c>-disableTelemetry</c>). Observed
/// at the system-call level: the JVM runs under strace, and every address it connects, sends or binds
/// to is read from the trace, whatever Java or DynamoDB Local were told.
/// </summary>
public sealed class DynamoDbLocalNetworkTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("cloudshelf-socket-trace-").FullName;

    [Fact]
    public async Task DynamoDB_Local_connects_to_nothing_but_loopback_while_it_serves_table_and_stream_calls()
    {
        var trace = Path.Combine(_directory, "dynamodb-local.trace");
        int port;
        long records;
        await using (var server = await DynamoDbLocalServer.StartAsync(new DynamoDbLocalLaunch { SocketTrace = trace }))
        {
            port = new Uri(server.Endpoint).Port;
            records = await TableAndStreamWorkloadAsync(server.Endpoint);
        }

        var calls = await SocketSyscallTrace.ReadAsync(trace);

        Assert.True(records >= 3, $"the stream returned {records} records");
        // The trace covers the server itself: its listening socket is in it.
        Assert.True(calls.Bound(port), $"no bind to port {port} in the trace:\n{string.Join('\n', calls.Calls.Select(c => c.Line))}");
        Assert.True(calls.Outbound.Count == 0, $"DynamoDB Local called out:\n{string.Join('\n', calls.Outbound.Select(c => c.Line))}");
    }

    [Fact]
    public async Task The_trace_catches_a_JVM_that_connects_out()
    {
        // A JVM told to connect out at start-up: the debugging agent dialling a debugger at a
        // documentation-only address (RFC 5737, routed nowhere); the JVM gives up after a second.
        var trace = Path.Combine(_directory, "jdwp.trace");
        var startInfo = SocketTracer.StartInfo(trace, "java",
            ["-agentlib:jdwp=transport=dt_socket,server=n,suspend=y,timeout=1000,address=192.0.2.1:5005", "-version"]);
        using (var process = System.Diagnostics.Process.Start(startInfo)!)
        {
            var output = process.StandardError.ReadToEndAsync();
            await process.StandardOutput.ReadToEndAsync();
            await process.WaitForExitAsync();
            await output;
        }

        var calls = await SocketSyscallTrace.ReadAsync(trace);

        var outbound = Assert.Single(calls.Outbound, c => c.Name == "connect" && c.Port == 5005);
        Assert.Equal(System.Net.IPAddress.Parse("192.0.2.1"), outbound.Address?.IsIPv4MappedToIPv6 == true ? outbound.Address.MapToIPv4() : outbound.Address);
    }

    [Theory]
    [InlineData("""123 connect(5, {sa_family=AF_INET, sin_port=htons(443), sin_addr=inet_addr("52.94.1.1")}, 16) = -1 EINPROGRESS""", false)]
    [InlineData("""123 connect(5, {sa_family=AF_INET6, sin6_port=htons(53), sin6_flowinfo=htonl(0), inet_pton(AF_INET6, "::ffff:10.255.255.53", &sin6_addr), sin6_scope_id=0}, 28) = 0""", false)]
    [InlineData("""123 sendto(7, "\1\2", 2, 0, {sa_family=AF_INET6, sin6_port=htons(53), sin6_flowinfo=htonl(0), inet_pton(AF_INET6, "2001:db8::1", &sin6_addr), sin6_scope_id=0}, 28) = 2""", false)]
    [InlineData("""123 sendmsg(7, {msg_name={sa_family=AF_INET, sin_port=htons(123), sin_addr=inet_addr("192.0.2.9")}, msg_namelen=16, msg_iov=[], msg_iovlen=0}, 0) = 0""", false)]
    [InlineData("""123 connect(5, {sa_family=AF_PACKET, sll_protocol=htons(ETH_P_ALL)}, 20) = 0""", false)]
    [InlineData("""123 connect(5, {sa_family=AF_INET, sin_port=htons(8000), sin_addr=inet_addr("127.0.0.1")}, 16) = 0""", true)]
    [InlineData("""123 connect(5, {sa_family=AF_INET6, sin6_port=htons(8000), sin6_flowinfo=htonl(0), inet_pton(AF_INET6, "::ffff:127.0.0.1", &sin6_addr), sin6_scope_id=0}, 28) = 0""", true)]
    [InlineData("""123 connect(5, {sa_family=AF_INET6, sin6_port=htons(8000), sin6_flowinfo=htonl(0), inet_pton(AF_INET6, "::1", &sin6_addr), sin6_scope_id=0}, 28) = 0""", true)]
    [InlineData("""123 connect(4, {sa_family=AF_UNIX, sun_path="/var/run/nscd/socket"}, 110) = -1 ENOENT (No such file or directory)""", true)]
    [InlineData("""123 connect(4, {sa_family=AF_UNSPEC, sa_data="\0\0\0\0\0\0\0\0\0\0\0\0\0\0"}, 16) = 0""", true)]
    public void A_socket_call_stays_on_the_host_only_for_loopback_unix_and_unspec_addresses(string line, bool staysOnHost)
    {
        var call = Assert.Single(SocketSyscallTrace.Parse([line]).Calls);

        Assert.Equal(staysOnHost, call.StaysOnHost);
    }

    [Fact]
    public void Sends_on_connected_sockets_and_resumed_lines_name_no_address()
    {
        var trace = SocketSyscallTrace.Parse(
        [
            """123 sendto(4, "x", 1, 0, NULL, 0)     = 1""",
            """123 <... connect resumed>)              = 0""",
            """123 write(4, "connect(5, {sa_family=AF_INET", 30) = 30""",
        ]);

        Assert.Empty(trace.Calls);
    }

    private static async Task<long> TableAndStreamWorkloadAsync(string endpoint)
    {
        using var client = new AmazonDynamoDBClient(new BasicAWSCredentials("local", "local"),
            new AmazonDynamoDBConfig { ServiceURL = endpoint, AuthenticationRegion = "us-east-1" });
        const string table = "network-check";
        await client.CreateTableAsync(new CreateTableRequest
        {
            TableName = table,
            KeySchema = [new KeySchemaElement("bookId", KeyType.HASH)],
            AttributeDefinitions = [new AttributeDefinition("bookId", ScalarAttributeType.S)],
            BillingMode = BillingMode.PAY_PER_REQUEST,
            StreamSpecification = new StreamSpecification { StreamEnabled = true, StreamViewType = StreamViewType.NEW_AND_OLD_IMAGES },
        });
        await client.PutItemAsync(table, new Dictionary<string, AttributeValue> { ["bookId"] = new() { S = "b1" }, ["stock"] = new() { N = "1" } });
        await client.UpdateItemAsync(new UpdateItemRequest
        {
            TableName = table, Key = new() { ["bookId"] = new() { S = "b1" } },
            UpdateExpression = "SET stock = :s", ExpressionAttributeValues = new() { [":s"] = new() { N = "2" } },
        });
        await client.DeleteItemAsync(table, new Dictionary<string, AttributeValue> { ["bookId"] = new() { S = "b1" } });
        await client.ScanAsync(new ScanRequest { TableName = table });
        var arn = (await client.DescribeTableAsync(table)).Table.LatestStreamArn;

#pragma warning disable CA2000 // The client owns the HttpClient and disposes it.
        using var streams = new DynamoDbStreamsClient(new HttpClient(), new Uri(endpoint), "us-east-1",
            new BasicAWSCredentials("local", "local"), TimeProvider.System);
#pragma warning restore CA2000
        var description = await streams.DescribeStreamAsync(arn, null, CancellationToken.None);
        long records = 0;
        foreach (var shard in description.Shards)
        {
            var iterator = await streams.GetShardIteratorAsync(arn, shard.ShardId, ShardIteratorType.TRIM_HORIZON, null, CancellationToken.None);
            records += (await streams.GetRecordsAsync(iterator, 1000, CancellationToken.None)).Records.Count;
        }
        return records;
    }

    public void Dispose() => Directory.Delete(_directory, recursive: true);
}
