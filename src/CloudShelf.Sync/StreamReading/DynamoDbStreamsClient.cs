using System.Net.Http.Headers;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Amazon.Runtime;
using Amazon.Runtime.Credentials;
using CloudShelf.Sync.Configuration;

namespace CloudShelf.Sync.StreamReading;

/// <summary>
/// The DynamoDB Streams API over HTTPS (JSON 1.0, Signature Version 4), as the SDK's
/// <c>AmazonDynamoDBStreamsClient</c> speaks it. Throttling and server errors are retried with backoff.
/// </summary>
public sealed class DynamoDbStreamsClient : IDynamoDbStreams, IDisposable
{
    internal const string ContentType = "application/x-amz-json-1.0";
    private const string TargetPrefix = "DynamoDBStreams_20120810.";
    // Streams are signed as the dynamodb service.
    private const string SigningService = "dynamodb";
    private const int MaxAttempts = 5;

    private readonly HttpClient _http;
    private readonly Uri _endpoint;
    private readonly string _region;
    private readonly AWSCredentials _credentials;
    private readonly TimeProvider _time;

    /// <summary>A client for an endpoint, region and credentials.</summary>
    public DynamoDbStreamsClient(HttpClient http, Uri endpoint, string region, AWSCredentials credentials, TimeProvider time)
    {
        _http = http ?? throw new ArgumentNullException(nameof(http));
        _endpoint = endpoint ?? throw new ArgumentNullException(nameof(endpoint));
        _region = region ?? throw new ArgumentNullException(nameof(region));
        _credentials = credentials ?? throw new ArgumentNullException(nameof(credentials));
        _time = time ?? throw new ArgumentNullException(nameof(time));
    }

    /// <summary>
    /// The client the settings ask for: <c>CLOUDSHELF_DYNAMODB_STREAMS_ENDPOINT</c> (by default the
    /// DynamoDB endpoint) with placeholder credentials when none are set, else the region's AWS
    /// endpoint with the environment's credentials.
    /// </summary>
    public static DynamoDbStreamsClient Create(SyncSettings settings, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var endpoint = settings.DynamoDbStreamsEndpoint ?? new Uri($"https://streams.dynamodb.{settings.Region}.amazonaws.com/");
        // A local DynamoDB checks that a signature is present, not whose it is.
        AWSCredentials credentials = settings.DynamoDbStreamsEndpoint is not null && !settings.HasAwsCredentials
            ? new BasicAWSCredentials("local", "local")
            : DefaultAWSCredentialsIdentityResolver.GetCredentials(null);
#pragma warning disable CA2000 // The client owns its HttpClient and disposes it.
        return new DynamoDbStreamsClient(new HttpClient { Timeout = TimeSpan.FromSeconds(30) }, endpoint, settings.Region, credentials, time);
#pragma warning restore CA2000
    }

    /// <inheritdoc />
    public async Task<StreamDescriptionPage> DescribeStreamAsync(string streamArn, string? exclusiveStartShardId, CancellationToken cancellationToken)
    {
        var response = await CallAsync("DescribeStream",
            new StreamsWire.DescribeStreamRequest { StreamArn = streamArn, ExclusiveStartShardId = exclusiveStartShardId },
            StreamsWireJsonContext.Default.DescribeStreamRequest, StreamsWireJsonContext.Default.DescribeStreamResponse, cancellationToken);
        var description = response.StreamDescription ?? throw new StreamsApiException("InvalidResponse", "DescribeStream returned no StreamDescription.", 200);
        var shards = (description.Shards ?? [])
            .Select(s => new StreamShard(s.ShardId ?? throw new StreamsApiException("InvalidResponse", "A shard has no ShardId.", 200),
                s.ParentShardId, s.SequenceNumberRange?.StartingSequenceNumber, s.SequenceNumberRange?.EndingSequenceNumber))
            .ToList();
        return new StreamDescriptionPage(description.StreamArn ?? streamArn, description.TableName, description.StreamStatus,
            description.StreamViewType, shards, description.LastEvaluatedShardId);
    }

    /// <inheritdoc />
    public async Task<string> GetShardIteratorAsync(string streamArn, string shardId, ShardIteratorType type, string? sequenceNumber,
        CancellationToken cancellationToken)
    {
        var response = await CallAsync("GetShardIterator",
            new StreamsWire.GetShardIteratorRequest
            {
                StreamArn = streamArn, ShardId = shardId, ShardIteratorType = type.ToString(), SequenceNumber = sequenceNumber,
            },
            StreamsWireJsonContext.Default.GetShardIteratorRequest, StreamsWireJsonContext.Default.GetShardIteratorResponse, cancellationToken);
        return response.ShardIterator ?? throw new StreamsApiException("InvalidResponse", "GetShardIterator returned no ShardIterator.", 200);
    }

    /// <inheritdoc />
    public async Task<RecordsPage> GetRecordsAsync(string shardIterator, int limit, CancellationToken cancellationToken)
    {
        var response = await CallAsync("GetRecords",
            new StreamsWire.GetRecordsRequest { ShardIterator = shardIterator, Limit = limit },
            StreamsWireJsonContext.Default.GetRecordsRequest, StreamsWireJsonContext.Default.GetRecordsResponse, cancellationToken);
        return new RecordsPage(response.Records ?? [], response.NextShardIterator);
    }

    private async Task<TResponse> CallAsync<TRequest, TResponse>(string operation, TRequest request,
        JsonTypeInfo<TRequest> requestInfo, JsonTypeInfo<TResponse> responseInfo, CancellationToken cancellationToken)
    {
        var body = JsonSerializer.SerializeToUtf8Bytes(request, requestInfo);
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await SendAsync(operation, body, responseInfo, cancellationToken);
            }
            catch (Exception e) when (attempt < MaxAttempts
                                      && (e is StreamsApiException { IsRetryable: true } or HttpRequestException
                                          || (e is TaskCanceledException && !cancellationToken.IsCancellationRequested)))
            {
                await Task.Delay(TimeSpan.FromMilliseconds(50 * (1 << attempt)), _time, cancellationToken);
            }
        }
    }

    private async Task<TResponse> SendAsync<TResponse>(string operation, byte[] body, JsonTypeInfo<TResponse> responseInfo,
        CancellationToken cancellationToken)
    {
        var credentials = await _credentials.GetCredentialsAsync();
        var target = TargetPrefix + operation;
        using var message = new HttpRequestMessage(HttpMethod.Post, _endpoint);
        message.Content = new ByteArrayContent(body);
        message.Content.Headers.ContentType = new MediaTypeHeaderValue(ContentType);
        message.Headers.TryAddWithoutValidation("X-Amz-Target", target);
        var host = _endpoint.IsDefaultPort ? _endpoint.Host : $"{_endpoint.Host}:{_endpoint.Port}";
        // The headers the AWS SDK signs for this call (it adds the payload hash too), with the values
        // HttpClient sends; Content-Length and the connection headers are left unsigned, as the SDK does.
        var payloadHash = SigV4Signer.PayloadHash(body);
        message.Headers.TryAddWithoutValidation("X-Amz-Content-SHA256", payloadHash);
        KeyValuePair<string, string>[] signed =
        [
            new("Content-Type", ContentType), new("Host", host), new("X-Amz-Content-SHA256", payloadHash), new("X-Amz-Target", target),
        ];
        foreach (var (name, value) in SigV4Signer.Sign("POST", _endpoint.AbsolutePath, [], signed, body, _region, SigningService,
                     credentials.AccessKey, credentials.SecretKey, string.IsNullOrEmpty(credentials.Token) ? null : credentials.Token,
                     _time.GetUtcNow()))
            message.Headers.TryAddWithoutValidation(name, value);

        using var response = await _http.SendAsync(message, cancellationToken);
        var bytes = await response.Content.ReadAsByteArrayAsync(cancellationToken);
        if (response.IsSuccessStatusCode)
            return JsonSerializer.Deserialize(bytes, responseInfo)
                   ?? throw new StreamsApiException("InvalidResponse", $"{operation} returned JSON null.", (int)response.StatusCode);

        StreamsWire.Error? error = null;
        try
        {
            error = JsonSerializer.Deserialize(bytes, StreamsWireJsonContext.Default.Error);
        }
        catch (JsonException)
        {
            // Not a JSON error body (a proxy's HTML page): reported by status below.
        }
        var type = error?.Type;
        var code = type is null ? $"Http{(int)response.StatusCode}" : type[(type.LastIndexOf('#') + 1)..];
        throw new StreamsApiException(code, error?.Message ?? $"{operation} failed with HTTP {(int)response.StatusCode}.", (int)response.StatusCode);
    }

    /// <inheritdoc />
    public void Dispose() => _http.Dispose();
}
