using System.Globalization;
using System.Text;
using System.Text.Json;
using CloudShelf.Sync.Streams;

namespace CloudShelf.Sync.Cli.LocalMapping;

/// <summary>
/// The local on-failure destination: one JSON file per discarded batch, shaped like the invocation
/// record Lambda's mapping writes to an S3 on-failure destination for a DynamoDB stream
/// (<c>requestContext</c>, <c>responseContext</c>, <c>version</c>, <c>timestamp</c>,
/// <c>DDBStreamBatchInfo</c>) with the batch itself in <c>payload</c>, as S3 destinations keep it.
/// </summary>
internal sealed class OnFailureDestination(string directory, TimeProvider time)
{
    /// <summary>Retries ran out.</summary>
    public const string RetryAttemptsExhausted = "RetryAttemptsExhausted";
    /// <summary>The oldest record was older than MaximumRecordAgeInSeconds.</summary>
    public const string RecordAgeExceeded = "RecordAgeExceeded";

    private const string FunctionArn = "arn:aws:lambda:us-east-1:000000000000:function:cloudshelf-sync-local-stream-sync";

    /// <summary>The folder the records go to.</summary>
    public string Directory { get; } = directory;

    /// <summary>Writes the record of a discarded batch and returns its path.</summary>
    public async Task<string> WriteAsync(string streamArn, string shardId, IReadOnlyList<DynamoDBStreamRecord> batch, string condition,
        int invokeCount, string? functionError, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfZero(batch.Count);
        System.IO.Directory.CreateDirectory(Directory);
        var now = time.GetUtcNow();
        var first = batch[0].Dynamodb!;
        var last = batch[^1].Dynamodb!;
        var payload = JsonSerializer.Serialize(new DynamoDBEvent { Records = [.. batch] }, StreamJsonContext.Default.DynamoDBEvent);

        using var buffer = new MemoryStream();
        await using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
        {
            json.WriteStartObject();
            json.WriteStartObject("requestContext");
            json.WriteString("requestId", Guid.NewGuid().ToString());
            json.WriteString("functionArn", FunctionArn);
            json.WriteString("condition", condition);
            json.WriteNumber("approximateInvokeCount", invokeCount);
            json.WriteEndObject();
            json.WriteStartObject("responseContext");
            json.WriteNumber("statusCode", 200);
            json.WriteString("executedVersion", "$LATEST");
            if (functionError is null) json.WriteNull("functionError");
            else json.WriteString("functionError", "Unhandled");
            json.WriteEndObject();
            json.WriteString("version", "1.0");
            json.WriteString("timestamp", now.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture));
            json.WriteStartObject("DDBStreamBatchInfo");
            json.WriteString("shardId", shardId);
            json.WriteString("startSequenceNumber", first.SequenceNumber);
            json.WriteString("endSequenceNumber", last.SequenceNumber);
            json.WriteString("approximateArrivalOfFirstRecord", Seconds(first.ApproximateCreationDateTime));
            json.WriteString("approximateArrivalOfLastRecord", Seconds(last.ApproximateCreationDateTime));
            json.WriteNumber("batchSize", batch.Count);
            json.WriteString("streamArn", streamArn);
            json.WriteEndObject();
            // S3 destinations keep the invocation payload itself, as the JSON text Lambda sent.
            json.WriteString("payload", payload);
            json.WriteEndObject();
        }

        var name = $"{now:yyyyMMdd'T'HHmmss'Z'}-{Safe(shardId)}-{first.SequenceNumber}.json";
        var path = Path.Combine(Directory, name);
        await File.WriteAllBytesAsync(path, buffer.ToArray(), cancellationToken);
        return path;
    }

    private static string? Seconds(DateTimeOffset? at) =>
        at?.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    private static string Safe(string text)
    {
        var builder = new StringBuilder(text.Length);
        foreach (var c in text) builder.Append(char.IsAsciiLetterOrDigit(c) || c is '-' or '_' ? c : '_');
        return builder.ToString();
    }
}
