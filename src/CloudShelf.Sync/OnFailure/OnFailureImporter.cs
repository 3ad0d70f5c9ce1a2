using CloudShelf.Sync.Lag;
using CloudShelf.Sync.Mapping;
using CloudShelf.Sync.Streams;
using Npgsql;

namespace CloudShelf.Sync.OnFailure;

/// <summary>What an import did.</summary>
/// <param name="Files">On-failure records read.</param>
/// <param name="Records">Stream records they held.</param>
/// <param name="Quarantined">Newly quarantined (the others already had an open entry).</param>
/// <param name="Skipped">Records of tables that are not synced.</param>
public sealed record OnFailureImportResult(int Files, int Records, int Quarantined, int Skipped);

/// <summary>
/// Loads the batches an event source mapping discarded into the quarantine, each record with its
/// payload, so that <c>quarantine replay</c> applies them after the stream has dropped them. Records
/// already in PostgreSQL are harmless: replay resolves them as superseded. One file at a time.
/// </summary>
public sealed class OnFailureImporter(SyncMapping mapping, NpgsqlDataSource dataSource)
{
    /// <summary>Imports every record of the source.</summary>
    /// <exception cref="FormatException">A file is not an on-failure record with a batch; nothing of it is imported.</exception>
    public async Task<OnFailureImportResult> ImportAsync(IOnFailureRecordSource source, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(source);
        int files = 0, records = 0, added = 0, skipped = 0;
        await foreach (var (name, content) in source.ReadAllAsync(cancellationToken))
        {
            var record = OnFailureRecordReader.Read(name, content);
            files++;
            var entries = new List<LostChangeQuarantine.Entry>();
            foreach (var change in record.Records)
            {
                records++;
                var sourceTable = StreamArn.TableName(change.EventSourceArn) ?? StreamArn.TableName(record.StreamArn);
                var table = sourceTable is null ? null : mapping.ForSourceTable(sourceTable);
                var sequence = change.Dynamodb?.SequenceNumber;
                if (table is null || sequence is null)
                {
                    skipped++;
                    continue;
                }
                // Kept as delivered; replay takes the table from the entry when the record names no stream.
                entries.Add(new LostChangeQuarantine.Entry(sourceTable, table.Table, KeyOf(table, change), sequence, change.EventName,
                    $"Discarded by the event source mapping ({record.Condition ?? "condition not given"}, shard {record.ShardId ?? "?"}); imported from {name}. " +
                    "`cloudshelf-sync quarantine replay` applies it.",
                    LostChangeQuarantine.OnFailureCode,
                    StreamEventSerializer.RecordJson(change)));
            }
            added += await LostChangeQuarantine.AddAsync(dataSource, entries, cancellationToken);
        }
        return new OnFailureImportResult(files, records, added, skipped);
    }

    private static string? KeyOf(TableMapping table, DynamoDBStreamRecord record)
    {
        try
        {
            return ItemMapper.ReadKey(table, record.Dynamodb!.Keys ?? record.Dynamodb.NewImage);
        }
        catch (UnmappableRecordException)
        {
            return null;
        }
    }
}
