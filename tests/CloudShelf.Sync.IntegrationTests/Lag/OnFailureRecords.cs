using System.Text.Json;
using CloudShelf.Sync.Streams;

namespace CloudShelf.Sync.IntegrationTests.Lag;

/// <summary>
/// On-failure invocation records in the shape Lambda writes to an S3 destination for a DynamoDB stream
/// (and <c>stream run</c> to its local directory): the batch's position and the batch in <c>payload</c>.
/// </summary>
public static class OnFailureRecords
{
    /// <summary>The record of a discarded batch; without <paramref name="withPayload"/>, as an SQS destination keeps it.</summary>
    public static string Json(string streamArn, string shardId, IReadOnlyList<DynamoDBStreamRecord> batch, bool withPayload = true)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteStartObject("requestContext");
            json.WriteString("requestId", Guid.NewGuid().ToString());
            json.WriteString("functionArn", "arn:aws:lambda:eu-west-1:123456789012:function:cloudshelf-sync-dev-stream-sync");
            json.WriteString("condition", "RecordAgeExceeded");
            json.WriteNumber("approximateInvokeCount", 3);
            json.WriteEndObject();
            json.WriteStartObject("responseContext");
            json.WriteNumber("statusCode", 200);
            json.WriteString("executedVersion", "$LATEST");
            json.WriteString("functionError", "Unhandled");
            json.WriteEndObject();
            json.WriteString("version", "1.0");
            json.WriteString("timestamp", "2026-12-01T09:00:00.000Z");
            json.WriteStartObject("DDBStreamBatchInfo");
            json.WriteString("shardId", shardId);
            json.WriteString("startSequenceNumber", batch[0].Dynamodb!.SequenceNumber);
            json.WriteString("endSequenceNumber", batch[^1].Dynamodb!.SequenceNumber);
            json.WriteString("approximateArrivalOfFirstRecord", "2026-12-01T08:00:00Z");
            json.WriteString("approximateArrivalOfLastRecord", "2026-12-01T08:00:01Z");
            json.WriteNumber("batchSize", batch.Count);
            json.WriteString("streamArn", streamArn);
            json.WriteEndObject();
            if (withPayload)
                json.WriteString("payload", JsonSerializer.Serialize(new DynamoDBEvent { Records = [.. batch] }, StreamJsonContext.Default.DynamoDBEvent));
            json.WriteEndObject();
        }
        return System.Text.Encoding.UTF8.GetString(buffer.ToArray());
    }
}
