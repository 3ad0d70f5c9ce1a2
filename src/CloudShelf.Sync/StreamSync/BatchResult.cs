using CloudShelf.Sync.Streams;

namespace CloudShelf.Sync.StreamSync;

/// <summary>The outcome of every record of a batch, in batch order.</summary>
public sealed class BatchResult
{
    /// <summary>The records, in the order given.</summary>
    public required IReadOnlyList<SourceRecord> Records { get; init; }

    /// <summary>The outcome of each record, by position.</summary>
    public required IReadOnlyList<RecordOutcome> Outcomes { get; init; }

    /// <summary>The quarantine entries written.</summary>
    public required IReadOnlyList<QuarantineEntry> Quarantined { get; init; }

    /// <summary>The changes that became their item's newest state.</summary>
    public IReadOnlySet<Change> Won { get; init; } = new HashSet<Change>();

    /// <summary>The partial batch response for Lambda: the failed records by sequence number.</summary>
    public StreamsEventResponse ToResponse()
    {
        var response = new StreamsEventResponse();
        for (var i = 0; i < Records.Count; i++)
        {
            if (Outcomes[i] == RecordOutcome.Failed)
                // An empty identifier fails the whole batch, the safe answer for a record without a sequence number.
                response.BatchItemFailures.Add(new BatchItemFailure { ItemIdentifier = Records[i].SequenceNumber ?? "" });
        }
        return response;
    }

    /// <summary>How many records had the outcome.</summary>
    public int Count(RecordOutcome outcome) => Outcomes.Count(o => o == outcome);
}
