using CloudShelf.Sync.Mapping;
using CloudShelf.Sync.Streams;

namespace CloudShelf.Sync.StreamSync;

/// <summary>
/// Classifies stream records (skipped, quarantined as unreadable or unmappable, or a candidate
/// change), maps new images to rows, and folds the records of each item into its newest change.
/// </summary>
internal sealed class RecordClassifier(SyncMapping mapping)
{
    /// <summary>A candidate for the record; null when it was skipped (<paramref name="skipped"/>) or quarantined.</summary>
    public Candidate? Classify(SourceRecord source, List<QuarantineEntry> quarantine, out bool skipped)
    {
        skipped = false;
        var record = source.Record;
        if (record.ReadError is not null)
        {
            quarantine.Add(new QuarantineEntry(source, null, null, $"Record could not be read: {record.ReadError}", "unreadable"));
            return null;
        }
        if (source.SourceTable is null)
        {
            quarantine.Add(new QuarantineEntry(source, null, null, $"eventSourceARN '{record.EventSourceArn}' names no DynamoDB table.", "unmappable"));
            return null;
        }
        var table = mapping.ForSourceTable(source.SourceTable);
        if (table is null)
        {
            skipped = true;
            return null;
        }

        var change = record.Dynamodb;
        if (!SequenceNumbers.IsValid(change?.SequenceNumber))
            return Reject(source, table, null, $"SequenceNumber '{change?.SequenceNumber}' is not a decimal number of 1 to {SequenceNumbers.MaxDigits} digits.", quarantine);
        var kind = record.EventName switch
        {
            "INSERT" or "MODIFY" => ChangeKind.Upsert,
            "REMOVE" => ChangeKind.Delete,
            _ => (ChangeKind?)null,
        };
        if (kind is null)
            return Reject(source, table, null, $"eventName '{record.EventName}' is not INSERT, MODIFY or REMOVE.", quarantine);

        string key;
        try
        {
            // Keys is always present in delivered records; the new image is a fallback for hand-made ones.
            key = ItemMapper.ReadKey(table, change!.Keys ?? change.NewImage);
        }
        catch (UnmappableRecordException e)
        {
            return Reject(source, table, null, e.Message, quarantine);
        }
        return new Candidate(source, table, key, change.SequenceNumber!, kind.Value) { Image = change.NewImage };
    }

    /// <summary>Maps the candidate's image to its row; an image that cannot be mapped is quarantined.</summary>
    public static void Map(Candidate candidate, List<QuarantineEntry> quarantine)
    {
        try
        {
            candidate.Row = ItemMapper.Map(candidate.Table, candidate.Image!);
            if (!string.Equals(candidate.Row.Key, candidate.Key, StringComparison.Ordinal))
            {
                candidate.Row = null;
                Reject(candidate.Source, candidate.Table, candidate.Key, "The new image's key differs from the record's Keys.", quarantine);
            }
        }
        catch (UnmappableRecordException e)
        {
            Reject(candidate.Source, candidate.Table, candidate.Key, e.Message, quarantine);
        }
    }

    /// <summary>Quarantines a record as unmappable.</summary>
    public static Candidate? Reject(SourceRecord source, TableMapping table, string? key, string reason, List<QuarantineEntry> quarantine)
    {
        quarantine.Add(new QuarantineEntry(source, table.Table, key, reason, "unmappable"));
        return null;
    }

    /// <summary>Folds the records of each item into its newest change (the writer decides the order it writes them in).</summary>
    public static List<Change> Collapse(IEnumerable<Candidate> candidates)
    {
        // Items in order of their first record; most batches hold one record per item, so a group is
        // a single candidate until a second one for the same item shows up.
        var groups = new List<List<Candidate>>();
        var byItem = new Dictionary<(string Table, string Key), int>();
        foreach (var candidate in candidates)
        {
            if (byItem.TryGetValue((candidate.Table.Table, candidate.Key), out var at))
            {
                groups[at].Add(candidate);
                continue;
            }
            byItem.Add((candidate.Table.Table, candidate.Key), groups.Count);
            groups.Add([candidate]);
        }

        var changes = new List<Change>(groups.Count);
        foreach (var group in groups)
        {
            // Stable: records with equal sequence numbers keep their delivery order.
            var ordered = group.Count == 1 ? group : group.OrderBy(c => c.Sequence, SequenceNumbers.Comparer).ToList();
            var newest = ordered[^1];
            var dynamodb = newest.Source.Record.Dynamodb!;
            var records = new List<SourceRecord>(ordered.Count);
            foreach (var candidate in ordered) records.Add(candidate.Source);
            changes.Add(new Change
            {
                Table = newest.Table,
                Key = newest.Key,
                SequenceNumber = newest.Sequence,
                Kind = newest.Kind,
                TtlDelete = newest.Kind == ChangeKind.Delete && StreamBatchProcessor.IsTtlDelete(newest.Source.Record),
                ChangedAt = dynamodb.ApproximateCreationDateTime,
                Row = newest.Row,
                Records = records,
            });
        }
        return changes;
    }
}
