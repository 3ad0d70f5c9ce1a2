using CloudShelf.Sync.Streams;

namespace CloudShelf.Sync.StreamSync;

/// <summary>The <c>stream-sync</c> function: a Lambda DynamoDB event in, a partial batch response out.</summary>
public sealed class StreamSyncHandler(StreamBatchProcessor processor)
{
    /// <summary>The name of this function in <c>_HANDLER</c> and the CLI.</summary>
    public const string Name = "stream-sync";

    /// <summary>Applies the event's records and names those Lambda must deliver again.</summary>
    public async Task<StreamsEventResponse> HandleAsync(DynamoDBEvent dynamoEvent, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(dynamoEvent);
        var records = dynamoEvent.Records
            .Select(r => new SourceRecord(r, StreamArn.TableName(r.EventSourceArn)))
            .ToList();
        var result = await processor.ProcessAsync(records, cancellationToken);
        return result.ToResponse();
    }

    /// <summary>The same from and to JSON, as the runtime and the CLI carry it.</summary>
    public async Task<byte[]> HandleAsync(ReadOnlyMemory<byte> eventJson, CancellationToken cancellationToken)
    {
        var dynamoEvent = StreamEventSerializer.ReadEvent(eventJson);
        var response = await HandleAsync(dynamoEvent, cancellationToken);
        return StreamEventSerializer.WriteResponse(response);
    }
}
