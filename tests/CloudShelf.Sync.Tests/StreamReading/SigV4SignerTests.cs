using System.Net;
using System.Text;
using Amazon.DynamoDBv2;
using Amazon.Runtime;
using Amazon.Runtime.Internal;
using Amazon.Runtime.Internal.Auth;
using CloudShelf.Sync.StreamReading;

namespace CloudShelf.Sync.Tests.StreamReading;

/// <summary>
/// The Signature Version 4 signer against AWS's published examples (the AKIDEXAMPLE credentials of
/// AWS's signing documentation and test suite) and against the AWS SDK's own <c>AWS4Signer</c>.
/// </summary>
public sealed class SigV4SignerTests
{
    private const string AccessKey = "AKIDEXAMPLE";
    private const string SecretKey = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
    private static readonly DateTimeOffset ExampleTime = new(2015, 8, 30, 12, 36, 0, TimeSpan.Zero);

    // The session token of AWS's test suite (post-sts-token).
    private const string ExampleSessionToken =
        "AQoDYXdzEPT//////////wEXAMPLEtc764bNrC9SAPBSM22wDOk4x4HIZ8j4FZTwdQWLWsKWHGBuFqwAeMicRXmxfpSPfIeoIYRqTflfKD8YUuwthAx7mSEI/qkPpKPi/kMcGdQrmGdeehM4IC1NtBmUpp2wUE8phUZampKsburEDy0KPkyQDYwT7WZ0wq5VSXDvp75YU9HFvlRd8Tx6q6fE8YQcHNVXAkiY9q6d+xo0rKwT38xVqr7ZD0u0iPPkUL64lIZbqBAz+scqKmlzm8FDrypNC9Yjc8fPOLn9FX9KSYvKTr4rvx3iSIlTJabIQwj2ICCR/oLxBA==";

    [Theory]
    [InlineData("20120215", "iam", "f4780e2d9f65fa895f9c67b32ce1baf0b0d8a43505a000a1a9e090d414db404d")]
    [InlineData("20150830", "iam", "c4afb1cc5771d871763a393e44b703571b55cc28424d1a5e86da6ed3c154a4b9")]
    public void The_derived_signing_key_is_the_one_AWS_documents(string date, string service, string expectedHex)
    {
        var key = SigV4Signer.SigningKey(SecretKey, date, "us-east-1", service);

        Assert.Equal(expectedHex, Convert.ToHexStringLower(key));
    }

    [Fact]
    public void A_GET_with_a_query_string_signs_as_AWS_documents_the_IAM_ListUsers_example()
    {
        // GET https://iam.amazonaws.com/?Action=ListUsers&Version=2010-05-08, parameters given out of order.
        KeyValuePair<string, string>[] query = [new("Version", "2010-05-08"), new("Action", "ListUsers")];
        KeyValuePair<string, string>[] headers =
        [
            new("Host", "iam.amazonaws.com"), new("Content-Type", "application/x-www-form-urlencoded; charset=utf-8"),
        ];

        var (canonical, _) = SigV4Signer.CanonicalRequest("GET", "/", query, [.. headers, new("X-Amz-Date", "20150830T123600Z")], []);
        var signed = SigV4Signer.Sign("GET", "/", query, headers, [], "us-east-1", "iam", AccessKey, SecretKey, null, ExampleTime);

        Assert.Equal("f536975d06c0309214f805bb90ccff089219ecd68b2577efef23edd43b7e1a59",
            Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(Encoding.UTF8.GetBytes(canonical))));
        Assert.Equal("20150830T123600Z", Header(signed, "X-Amz-Date"));
        Assert.Equal(
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/iam/aws4_request, SignedHeaders=content-type;host;x-amz-date, " +
            "Signature=5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7",
            Header(signed, "Authorization"));
    }

    [Fact]
    public void A_session_token_is_signed_as_AWS_documents_it()
    {
        // AWS's test suite, post-sts-header-before: the token is part of the canonical request.
        var signed = SigV4Signer.Sign("POST", "/", [], [new("Host", "example.amazonaws.com")], [], "us-east-1", "service",
            AccessKey, SecretKey, ExampleSessionToken, ExampleTime);

        Assert.Equal(ExampleSessionToken, Header(signed, "X-Amz-Security-Token"));
        Assert.Equal(
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date;x-amz-security-token, " +
            "Signature=85d96828115b5dc0cfc3bd16ad9e210dd772bbebba041836c64533a82be05ead",
            Header(signed, "Authorization"));
    }

    [Fact]
    public void A_POST_body_is_signed_as_AWS_documents_it()
    {
        // AWS's test suite, post-x-www-form-urlencoded.
        var signed = SigV4Signer.Sign("POST", "/", [],
            [new("Content-Type", "application/x-www-form-urlencoded"), new("Host", "example.amazonaws.com")],
            "Param1=value1"u8, "us-east-1", "service", AccessKey, SecretKey, null, ExampleTime);

        Assert.Equal(
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=content-type;host;x-amz-date, " +
            "Signature=ff11897932ad3f4e8b18135d722051e5ac45fc38421b1da7b9d196a0fe09473a",
            Header(signed, "Authorization"));
    }

    public static TheoryData<string, string, string[], string[], string, string?> SdkCases => new()
    {
        // A query that needs encoding: space, slash, star, a non-ASCII letter, an empty value; tilde stays.
        { "GET", "https://example.amazonaws.com/", ["b=x y/z~*é", "a=0", "c="], [], "", null },
        // The IAM example's shape, with a session token.
        { "GET", "https://iam.amazonaws.com/", ["Version=2010-05-08", "Action=ListUsers"], ["Content-Type=application/x-www-form-urlencoded; charset=utf-8"], "", ExampleSessionToken },
        // A header value with runs of spaces inside and around it (regression: only trimmed before, the SDK also collapses).
        { "POST", "https://example.amazonaws.com/", [], ["My-Header1=  a   b  c ", "Content-Type=application/x-amz-json-1.0"], "{}", null },
        // A Streams call as the client sends it: JSON 1.0 POST to a local endpoint with a port, session token.
        { "POST", "http://127.0.0.1:8000/", [], ["Content-Type=application/x-amz-json-1.0", "X-Amz-Target=DynamoDBStreams_20120810.GetRecords"],
            """{"ShardIterator":"arn:aws:dynamodb:eu-west-1:123456789012:table/books/stream/2026|1|AAAA+/=","Limit":1000}""", "FQoGZXIvYXdzEXAMPLE//token" },
    };

    [Theory]
    [MemberData(nameof(SdkCases))]
    public void The_signature_equals_the_AWS_SDK_signature_of_the_same_request(
        string method, string endpoint, string[] query, string[] headers, string body, string? sessionToken)
    {
        var uri = new Uri(endpoint);
        var sdk = SdkSign(method, uri, Pairs(query), Pairs(headers), body, "eu-west-1", "dynamodb", sessionToken, ExampleTime);
        // The SDK signs the payload hash header it adds and the host it derives from the endpoint: sign the same set.
        var signedHeaders = Pairs(headers).Append(new("Host", HostHeader(uri)))
            .Append(new("X-Amz-Content-SHA256", SigV4Signer.PayloadHash(Encoding.UTF8.GetBytes(body))));

        var ours = SigV4Signer.Sign(method, uri.AbsolutePath, Pairs(query), signedHeaders, Encoding.UTF8.GetBytes(body), "eu-west-1", "dynamodb",
            AccessKey, SecretKey, sessionToken, ExampleTime);

        Assert.Equal(sdk, Header(ours, "Authorization"));
    }

    [Fact]
    public async Task The_streams_client_sends_a_request_the_AWS_SDK_signs_identically()
    {
        using var handler = new CapturingHandler();
        var time = new FixedTime(new DateTimeOffset(2026, 12, 1, 9, 30, 15, TimeSpan.Zero));
        var endpoint = new Uri("https://streams.dynamodb.eu-west-1.amazonaws.com/");
#pragma warning disable CA2000 // The client owns the HttpClient.
        using var client = new DynamoDbStreamsClient(new HttpClient(handler), endpoint, "eu-west-1",
            new SessionAWSCredentials("ASIAEXAMPLE", SecretKey, ExampleSessionToken), time);
#pragma warning restore CA2000

        await client.GetRecordsAsync("arn:aws:dynamodb:eu-west-1:123456789012:table/books/stream/2026-12-01T00:00:00.000|1|AAAA+/=", 1000, CancellationToken.None);

        var request = handler.Request!;
        // Every header the client set except the signature's own goes into the SDK's request as it was
        // sent (Content-Length is HttpClient's, and neither signer signs it).
        var sent = request.Headers.Concat(request.Content!.Headers)
            .Where(h => h.Key is not ("Authorization" or "X-Amz-Date" or "X-Amz-Security-Token" or "X-Amz-Content-SHA256" or "Content-Length"))
            .Select(h => new KeyValuePair<string, string>(h.Key, string.Join(',', h.Value)))
            .ToList();
        var sdk = SdkSign("POST", request.RequestUri!, [], sent, handler.Body!, "eu-west-1", "dynamodb", ExampleSessionToken, time.GetUtcNow(),
            accessKey: "ASIAEXAMPLE");

        Assert.Equal(sdk, request.Headers.GetValues("Authorization").Single());
        Assert.Equal("20261201T093015Z", request.Headers.GetValues("X-Amz-Date").Single());
        Assert.Equal(ExampleSessionToken, request.Headers.GetValues("X-Amz-Security-Token").Single());
        Assert.Equal(SigV4Signer.PayloadHash(Encoding.UTF8.GetBytes(handler.Body!)), request.Headers.GetValues("X-Amz-Content-SHA256").Single());
    }

    /// <summary>Signs with the AWS SDK's AWS4Signer and returns its Authorization header value.</summary>
    private static string SdkSign(string method, Uri endpoint, IEnumerable<KeyValuePair<string, string>> query,
        IEnumerable<KeyValuePair<string, string>> headers, string body, string region, string service, string? sessionToken, DateTimeOffset at,
        string accessKey = AccessKey)
    {
#pragma warning disable CA2000 // Disposed by the using declaration; the analyzer loses track through the initializer.
        using var request = new DefaultRequest(new Amazon.DynamoDBv2.Model.ListTablesRequest(), "DynamoDBv2")
        {
            HttpMethod = method,
            Endpoint = new Uri(endpoint.GetLeftPart(UriPartial.Authority)),
            ResourcePath = endpoint.AbsolutePath,
            UseQueryString = true,
            Content = Encoding.UTF8.GetBytes(body),
            AuthenticationRegion = region,
            OverrideSigningServiceName = service,
        };
#pragma warning restore CA2000
        foreach (var (name, value) in query) request.Parameters[name] = value;
        foreach (var (name, value) in headers)
        {
            // The SDK sets Host itself from the endpoint.
            if (!name.Equals("Host", StringComparison.OrdinalIgnoreCase)) request.Headers[name] = value;
        }
        if (sessionToken is not null) request.Headers["x-amz-security-token"] = sessionToken;
        var config = new AmazonDynamoDBConfig { ServiceURL = endpoint.GetLeftPart(UriPartial.Authority), AuthenticationRegion = region };
        return new AWS4Signer().SignRequest(request, config, null, accessKey, SecretKey, at.UtcDateTime).ForAuthorizationHeader;
    }

    private static string HostHeader(Uri uri) => uri.IsDefaultPort ? uri.Host : $"{uri.Host}:{uri.Port}";

    private static KeyValuePair<string, string>[] Pairs(string[] pairs) =>
        pairs.Select(p => new KeyValuePair<string, string>(p[..p.IndexOf('=', StringComparison.Ordinal)], p[(p.IndexOf('=', StringComparison.Ordinal) + 1)..])).ToArray();

    private static string Header(IReadOnlyList<KeyValuePair<string, string>> headers, string name) => headers.Single(h => h.Key == name).Value;

    private sealed class FixedTime(DateTimeOffset now) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => now;
    }

    private sealed class CapturingHandler : HttpMessageHandler
    {
        public HttpRequestMessage? Request { get; private set; }
        public string? Body { get; private set; }

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            Request = request;
            Body = await request.Content!.ReadAsStringAsync(cancellationToken);
            return new HttpResponseMessage(HttpStatusCode.OK) { Content = new StringContent("""{"Records":[]}""", Encoding.UTF8, "application/x-amz-json-1.0") };
        }
    }
}
