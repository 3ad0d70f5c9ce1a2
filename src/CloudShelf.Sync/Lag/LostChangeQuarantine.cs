using CloudShelf.Sync.Postgres;
using Npgsql;
using NpgsqlTypes;

namespace CloudShelf.Sync.Lag;

/// <summary>
/// Puts changes the event source mapping passed over (found by sync-lag, or imported from an on-failure
/// record) into the quarantine, so that <c>quarantine replay</c> restores them. It writes through the
/// quarantine's own statements (<see cref="QuarantineStatements.FoundElsewhereFrom"/>): one open entry per
/// (table, key, sequence number) however often and from wherever a change is found, later finds counted
/// in the entry's deliveries, and an entry stream-sync already made for the change kept as it is.
/// </summary>
public static class LostChangeQuarantine
{
    /// <summary>Error code of a change sync-lag found passed over.</summary>
    public const string LostCode = "lost";

    /// <summary>Error code of a change imported from an on-failure destination record.</summary>
    public const string OnFailureCode = "on-failure";

    /// <summary>The reason of a change sync-lag found passed over.</summary>
    public const string LostReason =
        "Lost by the event source mapping: a later change of the same shard is in PostgreSQL and this one is not, past the grace period " +
        "(retries or record age exhausted). Copied from the stream by sync-lag; `cloudshelf-sync quarantine replay` applies it.";

    /// <summary>
    /// The rest of a <c>WITH</c> statement whose CTE <paramref name="source"/> has source_table, target_table,
    /// item_key, sequence_number (text), event_name, reason, error_code and record (text): quarantines each
    /// row and returns how many entries were added.
    /// </summary>
    internal static string InsertFrom(string source) => QuarantineStatements.FoundElsewhereFrom(source);

    /// <summary>One change to quarantine.</summary>
    /// <param name="SourceTable">The DynamoDB table.</param>
    /// <param name="TargetTable">The PostgreSQL table.</param>
    /// <param name="Key">The item key, when the record has a usable one.</param>
    /// <param name="SequenceNumber">The record's sequence number.</param>
    /// <param name="EventName">INSERT, MODIFY or REMOVE.</param>
    /// <param name="Reason">Why it is here.</param>
    /// <param name="ErrorCode"><see cref="LostCode"/> or <see cref="OnFailureCode"/>.</param>
    /// <param name="RecordJson">The record as Lambda delivers it.</param>
    public sealed record Entry(string? SourceTable, string? TargetTable, string? Key, string SequenceNumber, string? EventName,
        string Reason, string ErrorCode, string RecordJson);

    /// <summary>
    /// Quarantines the entries in one statement; returns how many were added (the others already had an
    /// open entry, whose deliveries went up by one).
    /// </summary>
    public static async Task<int> AddAsync(NpgsqlDataSource dataSource, IReadOnlyList<Entry> entries, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(dataSource);
        ArgumentNullException.ThrowIfNull(entries);
        if (entries.Count == 0) return 0;
        await using var command = dataSource.CreateCommand($"""
            WITH l AS (
                SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[])
                    AS u(source_table, target_table, item_key, sequence_number, event_name, reason, error_code, record)
            ), {InsertFrom("l")}
            """);
        command.Parameters.Add(Array(entries.Select(e => e.SourceTable)));
        command.Parameters.Add(Array(entries.Select(e => e.TargetTable)));
        command.Parameters.Add(Array(entries.Select(e => e.Key)));
        command.Parameters.Add(Array(entries.Select(e => (string?)e.SequenceNumber)));
        command.Parameters.Add(Array(entries.Select(e => e.EventName)));
        command.Parameters.Add(Array(entries.Select(e => (string?)e.Reason)));
        command.Parameters.Add(Array(entries.Select(e => (string?)e.ErrorCode)));
        command.Parameters.Add(Array(entries.Select(e => (string?)e.RecordJson)));
        return (int)(await command.ExecuteScalarAsync(cancellationToken))!;
    }

    private static NpgsqlParameter Array(IEnumerable<string?> values) =>
        new() { Value = values.ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text };
}
