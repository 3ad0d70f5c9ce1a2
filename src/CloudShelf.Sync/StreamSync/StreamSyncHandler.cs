using CloudShelf.Sync.Observability;
using CloudShelf.Sync.Postgres;
using CloudShelf.Sync.Streams;

namespace CloudShelf.Sync.StreamSync;

/// <summary>The <c>stream-sync</c> function: a Lambda DynamoDB event in, a partial batch response out.</summary>
/// <param name="processor">Applies the batch.</param>
/// <param name="conflicts">
/// When set, tries again after each batch the quarantined records whose unique-value conflict the
/// batch may have resolved (see <see cref="QuarantineReplayer.ReplayConflictsAsync"/>).
/// </param>
/// <param name="log">Where a failed follow-up is reported.</param>
public sealed class StreamSyncHandler(StreamBatchProcessor processor, QuarantineReplayer? conflicts = null, ILog? log = null)
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
        if (conflicts is not null && (result.Won.Count > 0 || result.Quarantined.Count > 0))
        {
            try
            {
                await conflicts.ReplayConflictsAsync(result, cancellationToken);
            }
            catch (Exception e) when (PostgresErrors.IsTransient(e) || e is OperationCanceledException)
            {
                // The batch itself is committed; the entries stay open and the next change of their holder tries them again.
                (log ?? NullLog.Instance).Warn("Could not retry the quarantined records this batch may have unblocked",
                    new LogField("error", e.GetType().Name));
            }
        }
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
