using System.Security.Cryptography;
using System.Text;
using CloudShelf.Sync.Streams;
using CloudShelf.Sync.StreamSync;
using Npgsql;
using NpgsqlTypes;

namespace CloudShelf.Sync.Postgres;

/// <summary>
/// Quarantine inserts, and for replayed records the update of their existing row. An entry is
/// written once per record: a record with a key and a sequence number is one open entry per
/// (table, key, sequence number), any other record one open entry per distinct payload; a
/// redelivery only counts (<c>deliveries</c>, <c>last_seen_at</c>) and refreshes the reason.
/// </summary>
internal static class QuarantineStatements
{
    private const string Columns = "source_table, target_table, item_key, sequence_number, event_name, reason, error_code, record, conflict_key";

    private const string Unnest = """
        SELECT u.source_table, u.target_table, u.item_key, u.sequence_number, u.event_name, u.reason, u.error_code, u.record::json, u.conflict_key
        FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[])
             WITH ORDINALITY AS u(source_table, target_table, item_key, sequence_number, event_name, reason, error_code, record, conflict_key, ord)
        ORDER BY u.ord
        """;

    private const string Refresh = """
        DO UPDATE SET deliveries = q.deliveries + 1, last_seen_at = now(),
                      reason = EXCLUDED.reason, error_code = EXCLUDED.error_code, conflict_key = EXCLUDED.conflict_key
        """;

    // The arbiters repeat the unique indexes of migration 0003, expression and predicate alike.
    private const string KeyedSql = $"""
        INSERT INTO cloudshelf_sync.quarantine AS q ({Columns})
        {Unnest}
        ON CONFLICT ((coalesce(target_table, source_table, '')), item_key, sequence_number)
            WHERE resolved_at IS NULL AND item_key IS NOT NULL AND sequence_number IS NOT NULL
        {Refresh}
        """;

    private const string PayloadSql = $"""
        INSERT INTO cloudshelf_sync.quarantine AS q ({Columns})
        {Unnest}
        ON CONFLICT (md5(record::text))
            WHERE resolved_at IS NULL AND (item_key IS NULL OR sequence_number IS NULL)
        {Refresh}
        """;

    private const string RequarantineSql = """
        UPDATE cloudshelf_sync.quarantine AS q
        SET reason = u.reason, error_code = u.error_code, conflict_key = u.conflict_key,
            replay_attempts = q.replay_attempts + 1, last_replayed_at = now()
        FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[]) AS u(quarantine_id, reason, error_code, conflict_key)
        WHERE q.quarantine_id = u.quarantine_id
        """;

    /// <summary>
    /// The tail of a <c>WITH</c> statement that quarantines every row of <paramref name="source"/> (a CTE
    /// with source_table, target_table, item_key, sequence_number, event_name, reason, error_code and
    /// record as text), for records found outside stream-sync (lost changes, on-failure records). It uses
    /// the arbiters of stream-sync's own inserts, so a record is one open entry however it arrives: one
    /// that already has an open entry counts one more delivery and keeps its reason, error code and
    /// conflict key (stream-sync's diagnosis is the better one). The statement returns one row: how many
    /// entries it added.
    /// </summary>
    public static string FoundElsewhereFrom(string source) => $"""
        found_keyed AS (
            INSERT INTO cloudshelf_sync.quarantine AS q (source_table, target_table, item_key, sequence_number, event_name, reason, error_code, record)
            SELECT d.source_table, d.target_table, d.item_key, d.sequence_number, d.event_name, d.reason, d.error_code, d.record::json
            FROM (SELECT DISTINCT ON (coalesce(l.target_table, l.source_table, ''), l.item_key, l.sequence_number) l.*
                  FROM {source} AS l
                  WHERE l.item_key IS NOT NULL AND l.sequence_number IS NOT NULL) AS d
            {InStreamOrder}
            ON CONFLICT ((coalesce(target_table, source_table, '')), item_key, sequence_number)
                WHERE resolved_at IS NULL AND item_key IS NOT NULL AND sequence_number IS NOT NULL
            {CountDelivery}
        ), found_payload AS (
            INSERT INTO cloudshelf_sync.quarantine AS q (source_table, target_table, item_key, sequence_number, event_name, reason, error_code, record)
            SELECT d.source_table, d.target_table, d.item_key, d.sequence_number, d.event_name, d.reason, d.error_code, d.record::json
            FROM (SELECT DISTINCT ON (md5(l.record)) l.*
                  FROM {source} AS l
                  WHERE l.item_key IS NULL OR l.sequence_number IS NULL) AS d
            {InStreamOrder}
            ON CONFLICT (md5(record::text))
                WHERE resolved_at IS NULL AND (item_key IS NULL OR sequence_number IS NULL)
            {CountDelivery}
        )
        SELECT count(*) FILTER (WHERE added)::int
        FROM (SELECT added FROM found_keyed UNION ALL SELECT added FROM found_payload) AS a
        """;

    // Entries are added in stream order, the order replay takes them in; concurrent writers of the same
    // records so take their index locks in one order too.
    private const string InStreamOrder = """
        ORDER BY CASE WHEN d.sequence_number ~ '^[0-9]+$' THEN d.sequence_number::numeric END, d.sequence_number,
                 coalesce(d.target_table, d.source_table, ''), d.item_key, md5(d.record)
        """;

    // xmax is 0 on a row this statement inserted, and set on one it updated instead.
    private const string CountDelivery = """
        DO UPDATE SET deliveries = q.deliveries + 1, last_seen_at = now()
        RETURNING (xmax = 0) AS added
        """;

    /// <summary>Whether the statement is one of the quarantine's, so a refusal can be traced to it.</summary>
    public static bool IsQuarantineStatement(NpgsqlBatchCommand command) =>
        command.CommandText is KeyedSql or PayloadSql or RequarantineSql;

    /// <summary>
    /// Adds the statements for the entries. With <paramref name="encoded"/> every record is stored
    /// as base64 inside a JSON object and every text escaped: the form PostgreSQL always accepts,
    /// for when the plain form was refused.
    /// </summary>
    public static void AddTo(NpgsqlBatch batch, IReadOnlyList<QuarantineEntry> entries, bool encoded = false)
    {
        var keyed = new SortedDictionary<(string Table, string Key, string Sequence), Row>(Comparer<(string Table, string Key, string Sequence)>.Create(
            static (a, b) =>
            {
                var c = string.CompareOrdinal(a.Table, b.Table);
                if (c == 0) c = string.CompareOrdinal(a.Key, b.Key);
                return c != 0 ? c : string.CompareOrdinal(a.Sequence, b.Sequence);
            }));
        var payload = new SortedDictionary<string, Row>(StringComparer.Ordinal);
        var again = new List<(long Id, Row Row)>();
        foreach (var entry in entries)
        {
            var row = Row.Of(entry, encoded);
            if (entry.Source.QuarantineId is { } id) again.Add((id, row));
            else if (row.Key is not null && row.Sequence is not null)
                keyed[(row.TargetTable ?? row.SourceTable ?? "", row.Key, row.Sequence)] = row;
            else
                payload[Md5Hex(row.Record)] = row;
        }
        // Sorted by the arbiter: concurrent deliveries of the same entries take their index locks in one order.
        Add(batch, KeyedSql, [.. keyed.Values]);
        Add(batch, PayloadSql, [.. payload.Values]);
        if (again.Count > 0)
        {
            var command = new NpgsqlBatchCommand(RequarantineSql);
            command.Parameters.Add(Parameters.Array(again.Select(e => e.Id).ToArray(), NpgsqlDbType.Bigint));
            command.Parameters.Add(Parameters.Array(again.Select(e => e.Row.Reason).ToArray(), NpgsqlDbType.Text));
            command.Parameters.Add(Parameters.Array(again.Select(e => e.Row.ErrorCode).ToArray(), NpgsqlDbType.Text));
            command.Parameters.Add(Parameters.Array(again.Select(e => e.Row.ConflictKey).ToArray(), NpgsqlDbType.Text));
            batch.BatchCommands.Add(command);
        }
    }

    private static void Add(NpgsqlBatch batch, string sql, List<Row> rows)
    {
        if (rows.Count == 0) return;
        var command = new NpgsqlBatchCommand(sql);
        command.Parameters.Add(Parameters.Array(rows.Select(r => r.SourceTable).ToArray(), NpgsqlDbType.Text));
        command.Parameters.Add(Parameters.Array(rows.Select(r => r.TargetTable).ToArray(), NpgsqlDbType.Text));
        command.Parameters.Add(Parameters.Array(rows.Select(r => r.Key).ToArray(), NpgsqlDbType.Text));
        command.Parameters.Add(Parameters.Array(rows.Select(r => r.Sequence).ToArray(), NpgsqlDbType.Text));
        command.Parameters.Add(Parameters.Array(rows.Select(r => r.EventName).ToArray(), NpgsqlDbType.Text));
        command.Parameters.Add(Parameters.Array(rows.Select(r => r.Reason).ToArray(), NpgsqlDbType.Text));
        command.Parameters.Add(Parameters.Array(rows.Select(r => r.ErrorCode).ToArray(), NpgsqlDbType.Text));
        command.Parameters.Add(Parameters.Array(rows.Select(r => r.Record).ToArray(), NpgsqlDbType.Text));
        command.Parameters.Add(Parameters.Array(rows.Select(r => r.ConflictKey).ToArray(), NpgsqlDbType.Text));
        batch.BatchCommands.Add(command);
    }

    // md5 as PostgreSQL computes md5(record::text) over the UTF-8 text; used only to order and dedupe.
    private static string Md5Hex(string text) =>
#pragma warning disable CA5351 // Not for security: the same digest as the payload index, to dedupe and order.
        Convert.ToHexStringLower(MD5.HashData(Encoding.UTF8.GetBytes(text)));
#pragma warning restore CA5351

    private sealed record Row(
        string? SourceTable, string? TargetTable, string? Key, string? Sequence, string? EventName,
        string Reason, string? ErrorCode, string Record, string? ConflictKey)
    {
        public static Row Of(QuarantineEntry entry, bool encoded)
        {
            var json = StreamEventSerializer.RecordJson(entry.Source.Record);
            var reason = entry.Reason;
            if (encoded)
            {
                // The reason is kept; the record survives byte for byte, decodable by anyone.
                json = $"{{\"encodedRecord\":\"{Convert.ToBase64String(Encoding.UTF8.GetBytes(json))}\"}}";
                reason += " (PostgreSQL refused the record as it was; it is stored base64-encoded in encodedRecord, texts escaped)";
            }
            return new Row(
                StorableText.Escape(entry.Source.SourceTable), StorableText.Escape(entry.TargetTable),
                StorableText.Escape(entry.Key), StorableText.Escape(entry.Source.SequenceNumber),
                StorableText.Escape(entry.Source.Record.EventName), StorableText.Escape(reason)!,
                StorableText.Escape(entry.ErrorCode), StorableText.Escape(json)!, StorableText.Escape(entry.ConflictKey));
        }
    }
}
