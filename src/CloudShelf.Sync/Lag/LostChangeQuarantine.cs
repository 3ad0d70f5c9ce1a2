using Npgsql;
using NpgsqlTypes;

namespace CloudShelf.Sync.Lag;

/// <summary>
/// Puts changes the event source mapping passed over (found by sync-lag, or imported from an on-failure
/// record) into the quarantine, so that <c>quarantine replay</c> restores them. The one place that
/// writes such entries: at most one open entry per (table, key, sequence number) however often a change
/// is found, and an entry stream-sync already made for the change is left as it is.
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
    /// The INSERT that quarantines every row of <paramref name="source"/> (a relation or CTE with
    /// source_table, target_table, item_key, sequence_number text, event_name, reason, error_code, record text)
    /// that has no open entry yet.
    /// </summary>
    internal static string InsertFrom(string source) => $"""
        INSERT INTO cloudshelf_sync.quarantine
               (source_table, target_table, item_key, sequence_number, event_name, reason, error_code, record)
        SELECT l.source_table, l.target_table, l.item_key, l.sequence_number, l.event_name, l.reason, l.error_code, l.record::json
        FROM {source} AS l
        WHERE NOT EXISTS (
            SELECT 1 FROM cloudshelf_sync.quarantine AS q
            WHERE q.resolved_at IS NULL
              AND q.target_table IS NOT DISTINCT FROM l.target_table
              AND q.item_key IS NOT DISTINCT FROM l.item_key
              AND q.sequence_number = l.sequence_number)
        """;

    /// <summary>
    /// Taken first by every transaction that runs <see cref="InsertFrom"/>: two writers (the scheduled
    /// sync-lag and an operator's run, two imports) would otherwise both find no open entry and both add one.
    /// </summary>
    internal const string LockSql = "SELECT pg_advisory_xact_lock(hashtext('cloudshelf_sync.lost_changes'))";

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

    /// <summary>Quarantines the entries that have no open entry yet, in one statement; returns how many were added.</summary>
    public static async Task<int> AddAsync(NpgsqlDataSource dataSource, IReadOnlyList<Entry> entries, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(dataSource);
        ArgumentNullException.ThrowIfNull(entries);
        // The same record twice in the input (two on-failure records of overlapping batches) is one entry.
        var distinct = entries.DistinctBy(e => (e.TargetTable, e.Key, e.SequenceNumber)).ToList();
        if (distinct.Count == 0) return 0;
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await using (var lockCommand = new NpgsqlCommand(LockSql, connection, transaction))
            await lockCommand.ExecuteNonQueryAsync(cancellationToken);
        await using var command = new NpgsqlCommand(InsertFrom("""
            (SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[])
                AS u(source_table, target_table, item_key, sequence_number, event_name, reason, error_code, record))
            """), connection, transaction);
        command.Parameters.Add(Array(distinct.Select(e => e.SourceTable)));
        command.Parameters.Add(Array(distinct.Select(e => e.TargetTable)));
        command.Parameters.Add(Array(distinct.Select(e => e.Key)));
        command.Parameters.Add(Array(distinct.Select(e => (string?)e.SequenceNumber)));
        command.Parameters.Add(Array(distinct.Select(e => e.EventName)));
        command.Parameters.Add(Array(distinct.Select(e => (string?)e.Reason)));
        command.Parameters.Add(Array(distinct.Select(e => (string?)e.ErrorCode)));
        command.Parameters.Add(Array(distinct.Select(e => (string?)e.RecordJson)));
        var added = await command.ExecuteNonQueryAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return added;
    }

    private static NpgsqlParameter Array(IEnumerable<string?> values) =>
        new() { Value = values.ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text };
}
