using System.Net;
using Amazon.Runtime;
using CloudShelf.Sync.Observability;
using CloudShelf.Sync.Streams;

namespace CloudShelf.Sync.StreamSync;

/// <summary>
/// Reads the current item where the stream carried no new image (KEYS_ONLY, OLD_IMAGE), then maps
/// every upsert. A read that fails for a passing reason fails the record (Lambda redelivers it);
/// one that cannot heal by redelivery (access denied, no such table) is tried a few times and then
/// quarantined with the error, so the shard is not redelivered forever.
/// </summary>
internal sealed class ImageResolver(IItemReader itemReader, ILog log, TimeProvider time)
{
    /// <summary>How often a read that looks permanent is tried before the record is quarantined.</summary>
    public const int PermanentReadAttempts = 3;

    /// <summary>Resolves and maps the candidates; returns the positions of records that must be redelivered.</summary>
    public async Task<List<int>> ResolveAsync(
        List<Candidate> candidates, List<QuarantineEntry> quarantine, RecordOutcome[] outcomes,
        Dictionary<SourceRecord, int> index, CancellationToken cancellationToken)
    {
        var failed = new List<int>();
        foreach (var candidate in candidates)
        {
            if (candidate.Kind == ChangeKind.Delete) continue;
            if (candidate.Image is null)
            {
                var key = candidate.Source.Record.Dynamodb!.Keys
                          ?? new Dictionary<string, AttributeValue> { [candidate.Table.KeyAttribute] = AttributeValue.FromS(candidate.Key) };
                for (var attempt = 1; ; attempt++)
                {
                    try
                    {
                        candidate.Image = await itemReader.GetItemAsync(candidate.Table.SourceTable, key, cancellationToken);
                        break;
                    }
                    catch (Exception e) when (IsPermanent(e) && !cancellationToken.IsCancellationRequested)
                    {
                        if (attempt < PermanentReadAttempts)
                        {
                            await Task.Delay(TimeSpan.FromMilliseconds(50 * attempt), time, cancellationToken);
                            continue;
                        }
                        var error = (AmazonServiceException)e;
                        quarantine.Add(new QuarantineEntry(candidate.Source, candidate.Table.Table, candidate.Key,
                            $"The current item could not be read from {candidate.Table.SourceTable} ({attempt} attempts): {error.ErrorCode}: {error.Message}",
                            "item-read"));
                        log.Warn("Could not read the current item for a record without a new image; the failure will not heal, so it is quarantined",
                            new LogField("table", candidate.Table.SourceTable), new LogField("key", candidate.Key),
                            new LogField("sequence_number", candidate.Sequence), new LogField("error", error.ErrorCode));
                        break;
                    }
                    catch (Exception e)
                    {
                        // Cancellation (the deadline) included: the record is not applied, so it is failed.
                        log.Warn("Could not read the current item for a record without a new image; it will be redelivered",
                            new LogField("table", candidate.Table.SourceTable), new LogField("key", candidate.Key),
                            new LogField("sequence_number", candidate.Sequence), new LogField("error", e.GetType().Name));
                        failed.Add(index[candidate.Source]);
                        break;
                    }
                }
                if (candidate.Image is null)
                {
                    // Gone since (the later REMOVE brings the row to the same end), or quarantined or failed above.
                    if (!failed.Contains(index[candidate.Source]) && !quarantine.Exists(q => ReferenceEquals(q.Source, candidate.Source)))
                        outcomes[index[candidate.Source]] = RecordOutcome.Skipped;
                    continue;
                }
            }
            RecordClassifier.Map(candidate, quarantine);
        }
        return failed;
    }

    /// <summary>Access denied or no such table: redelivering the record does not change the answer.</summary>
    public static bool IsPermanent(Exception exception) => exception is AmazonServiceException service
        && (service is Amazon.DynamoDBv2.Model.ResourceNotFoundException
            || service.ErrorCode is "AccessDeniedException" or "ResourceNotFoundException"
            || service.StatusCode == HttpStatusCode.Forbidden);
}
