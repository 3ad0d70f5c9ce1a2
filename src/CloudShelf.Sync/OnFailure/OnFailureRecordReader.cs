using System.Text;
using System.Text.Json;
using CloudShelf.Sync.Streams;

namespace CloudShelf.Sync.OnFailure;

/// <summary>Reads on-failure invocation records (AOT-safe: a <see cref="JsonDocument"/> for the envelope, the event reader for the batch).</summary>
public static class OnFailureRecordReader
{
    /// <summary>Reads one record.</summary>
    /// <param name="name">Where it came from, for messages.</param>
    /// <param name="utf8Json">Its content.</param>
    /// <exception cref="FormatException">It is not an on-failure record of a DynamoDB stream, or it holds no batch (an SQS or SNS destination's record).</exception>
    public static OnFailureRecord Read(string name, ReadOnlyMemory<byte> utf8Json)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(utf8Json, new JsonDocumentOptions { MaxDepth = StreamEventSerializer.MaxDepth });
        }
        catch (JsonException e)
        {
            throw new FormatException($"{name}: not JSON ({e.Message}).", e);
        }
        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("DDBStreamBatchInfo", out var info) || info.ValueKind != JsonValueKind.Object)
                throw new FormatException($"{name}: not an on-failure record of a DynamoDB stream (no DDBStreamBatchInfo).");
            if (!root.TryGetProperty("payload", out var payload) || payload.ValueKind is JsonValueKind.Null or JsonValueKind.Undefined)
                throw new FormatException($"{name}: the record holds no payload, only the batch's position (an SQS or SNS destination's record): read the stream again while it keeps the batch, or repair by drift check.");

            byte[] eventJson = payload.ValueKind switch
            {
                // Lambda sends the invocation payload as JSON text.
                JsonValueKind.String => Encoding.UTF8.GetBytes(payload.GetString()!),
                JsonValueKind.Object => Encoding.UTF8.GetBytes(payload.GetRawText()),
                _ => throw new FormatException($"{name}: payload is a JSON {payload.ValueKind}, not the event."),
            };
            DynamoDBEvent batch;
            try
            {
                batch = StreamEventSerializer.ReadEvent(eventJson);
            }
            catch (JsonException e)
            {
                throw new FormatException($"{name}: payload is not a DynamoDB Streams event ({e.Message}).", e);
            }
            if (batch.Records.Count == 0)
                throw new FormatException($"{name}: payload holds no Records.");

            var condition = root.TryGetProperty("requestContext", out var request) && request.ValueKind == JsonValueKind.Object
                                                                                    && request.TryGetProperty("condition", out var c)
                ? c.GetString()
                : null;
            return new OnFailureRecord(name, condition, Text(info, "streamArn"), Text(info, "shardId"), batch.Records);
        }
    }

    private static string? Text(JsonElement element, string property) =>
        element.TryGetProperty(property, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
}
