using CloudShelf.Sync.Mapping;
using CloudShelf.Sync.Streams;
using CloudShelf.Sync.StreamSync;
using Npgsql;
using NpgsqlTypes;

namespace CloudShelf.Sync.Postgres;

/// <summary>What a write did.</summary>
public sealed class WriteResult
{
    /// <summary>Changes that became the item's newest state (the others were already applied or older).</summary>
    public required IReadOnlySet<Change> Won { get; init; }

    /// <summary>Changes applied or proven stale, in the committed transaction.</summary>
    public required IReadOnlyList<Change> Committed { get; init; }

    /// <summary>Every record put in quarantine by this write, including those found while writing.</summary>
    public required IReadOnlyList<QuarantineEntry> Quarantined { get; init; }
}

/// <summary>
/// Applies a batch of changes in one transaction with a constant number of statements per table,
/// sent as one pipelined batch (see <see cref="TableStatements"/>), then the quarantine. A record
/// the database refuses is isolated by bisection under savepoints and quarantined; the rest commits.
/// </summary>
public sealed class ChangeWriter : IChangeWriter
{
    private readonly NpgsqlDataSource _dataSource;
    private readonly Dictionary<TableMapping, TableStatements> _statements;

    /// <summary>Prepares the statements of every mapped table.</summary>
    public ChangeWriter(NpgsqlDataSource dataSource, SyncMapping mapping)
    {
        ArgumentNullException.ThrowIfNull(mapping);
        _dataSource = dataSource ?? throw new ArgumentNullException(nameof(dataSource));
        _statements = mapping.Tables.ToDictionary(t => t, t => new TableStatements(t));
    }

    /// <summary>
    /// Writes the changes and the quarantine entries atomically. Changes must be sorted by
    /// (target table, key) ordinal, at most one per item. Throws on transient database failures;
    /// nothing is committed then.
    /// </summary>
    public async Task<WriteResult> WriteAsync(
        IReadOnlyList<Change> changes,
        IReadOnlyList<QuarantineEntry> quarantine,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(changes);
        ArgumentNullException.ThrowIfNull(quarantine);
        await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken);

        await using (var transaction = await connection.BeginTransactionAsync(cancellationToken))
        {
            try
            {
                var won = new HashSet<Change>();
                await ExecuteAsync(connection, changes, quarantine, won, cancellationToken);
                await transaction.CommitAsync(cancellationToken);
                return new WriteResult { Won = won, Committed = changes, Quarantined = quarantine };
            }
            catch (PostgresException e) when (PostgresErrors.IsRecordFault(e))
            {
                await transaction.RollbackAsync(cancellationToken);
            }
        }

        // Some record is refused: find it (them) without giving up the rest of the batch.
        await using var isolated = await connection.BeginTransactionAsync(cancellationToken);
        var state = new IsolationState(isolated, quarantine);
        await IsolateAsync(connection, state, changes, cancellationToken);
        await ExecuteAsync(connection, [], state.Quarantined, state.Won, cancellationToken);
        await isolated.CommitAsync(cancellationToken);
        return new WriteResult { Won = state.Won, Committed = state.Committed, Quarantined = state.Quarantined };
    }

    private sealed class IsolationState(NpgsqlTransaction transaction, IReadOnlyList<QuarantineEntry> quarantine)
    {
        public NpgsqlTransaction Transaction { get; } = transaction;
        public HashSet<Change> Won { get; } = [];
        public List<Change> Committed { get; } = [];
        public List<QuarantineEntry> Quarantined { get; } = [.. quarantine];
        public int Savepoints { get; set; }
    }

    /// <summary>
    /// Bisection: apply a range under a savepoint; when it is refused, roll back to the savepoint
    /// and try each half. Ranges are applied in key order, and a rolled-back savepoint releases its
    /// locks, so the lock order stays ascending and concurrent batches cannot deadlock.
    /// </summary>
    private async Task IsolateAsync(NpgsqlConnection connection, IsolationState state, IReadOnlyList<Change> changes, CancellationToken cancellationToken)
    {
        if (changes.Count == 0) return;
        var savepoint = "isolate_" + state.Savepoints++;
        await state.Transaction.SaveAsync(savepoint, cancellationToken);
        var won = new HashSet<Change>();
        try
        {
            await ExecuteAsync(connection, changes, [], won, cancellationToken);
            await state.Transaction.ReleaseAsync(savepoint, cancellationToken);
            state.Won.UnionWith(won);
            state.Committed.AddRange(changes);
            return;
        }
        catch (PostgresException e) when (PostgresErrors.IsRecordFault(e))
        {
            await state.Transaction.RollbackAsync(savepoint, cancellationToken);
            if (changes.Count == 1)
            {
                Quarantine(state.Quarantined, changes[0], e);
                return;
            }
        }

        var half = changes.Count / 2;
        await IsolateAsync(connection, state, changes.Take(half).ToList(), cancellationToken);
        await IsolateAsync(connection, state, changes.Skip(half).ToList(), cancellationToken);
    }

    private static void Quarantine(List<QuarantineEntry> quarantined, Change change, PostgresException e)
    {
        // Name the constraint and column, never the values: the reason is logged.
        var reason = $"PostgreSQL refused the change: {e.MessageText}"
                     + (e.ConstraintName is null ? "" : $" (constraint {e.ConstraintName})")
                     + (e.ColumnName is null ? "" : $" (column {e.ColumnName})");
        var newest = change.Records[^1];
        quarantined.Add(new QuarantineEntry(newest, change.Table.Table, change.Key, reason, e.SqlState));
        // The older records of the item were folded into this one; they wait with it, so that a
        // replay after the fix still sees the item's whole history in order.
        foreach (var older in change.Records.Take(change.Records.Count - 1))
        {
            quarantined.Add(new QuarantineEntry(older, change.Table.Table, change.Key,
                $"Superseded within its batch by sequence number {change.SequenceNumber}, which was quarantined: {reason}", e.SqlState));
        }
    }

    private async Task ExecuteAsync(
        NpgsqlConnection connection,
        IReadOnlyList<Change> changes,
        IReadOnlyList<QuarantineEntry> quarantine,
        HashSet<Change> won,
        CancellationToken cancellationToken)
    {
        await using var batch = new NpgsqlBatch(connection);
        // Tables in mapping order, each table's keys ascending: the same order in every transaction.
        foreach (var group in changes.GroupBy(c => c.Table))
            _statements[group.Key].AddTo(batch, group.ToList());
        QuarantineStatements.AddTo(batch, quarantine);
        if (batch.BatchCommands.Count == 0) return;

        // Every RETURNING yields (outcome, table, key); statements without one are skipped by the reader.
        var written = new HashSet<(string, string)>();
        var deleted = new HashSet<(string, string)>();
        var undone = new HashSet<(string, string)>();
        await using (var reader = await batch.ExecuteReaderAsync(cancellationToken))
        {
            do
            {
                while (await reader.ReadAsync(cancellationToken))
                {
                    var key = (reader.GetString(1), reader.GetString(2));
                    var set = reader.GetString(0) switch
                    {
                        TableStatements.Written => written,
                        TableStatements.Deleted => deleted,
                        _ => undone,
                    };
                    set.Add(key);
                }
            }
            // Errors of later statements surface while moving to their results.
            while (await reader.NextResultAsync(cancellationToken));
        }

        foreach (var change in changes)
        {
            var key = (change.Table.Table, change.Key);
            if (change.Kind == ChangeKind.Delete ? deleted.Contains(key) : written.Contains(key) && !undone.Contains(key))
                won.Add(change);
        }
    }
}

/// <summary>Quarantine inserts, and for replayed records the update of their existing row.</summary>
internal static class QuarantineStatements
{
    private const string InsertSql = """
        INSERT INTO cloudshelf_sync.quarantine
               (source_table, target_table, item_key, sequence_number, event_name, reason, error_code, record)
        SELECT u.source_table, u.target_table, u.item_key, u.sequence_number, u.event_name, u.reason, u.error_code, u.record::json
        FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[])
             AS u(source_table, target_table, item_key, sequence_number, event_name, reason, error_code, record)
        """;

    private const string RequarantineSql = """
        UPDATE cloudshelf_sync.quarantine AS q
        SET reason = u.reason, error_code = u.error_code,
            replay_attempts = q.replay_attempts + 1, last_replayed_at = now()
        FROM unnest($1::bigint[], $2::text[], $3::text[]) AS u(quarantine_id, reason, error_code)
        WHERE q.quarantine_id = u.quarantine_id
        """;

    public static void AddTo(NpgsqlBatch batch, IReadOnlyList<QuarantineEntry> entries)
    {
        var fresh = entries.Where(e => e.Source.QuarantineId is null).ToList();
        var again = entries.Where(e => e.Source.QuarantineId is not null).ToList();
        if (fresh.Count > 0)
        {
            var command = new NpgsqlBatchCommand(InsertSql);
            command.Parameters.Add(Parameters.Array(fresh.Select(e => e.Source.SourceTable).ToArray(), NpgsqlDbType.Text));
            command.Parameters.Add(Parameters.Array(fresh.Select(e => e.TargetTable).ToArray(), NpgsqlDbType.Text));
            command.Parameters.Add(Parameters.Array(fresh.Select(e => e.Key).ToArray(), NpgsqlDbType.Text));
            command.Parameters.Add(Parameters.Array(fresh.Select(e => e.Source.SequenceNumber).ToArray(), NpgsqlDbType.Text));
            command.Parameters.Add(Parameters.Array(fresh.Select(e => e.Source.Record.EventName).ToArray(), NpgsqlDbType.Text));
            command.Parameters.Add(Parameters.Array(fresh.Select(e => e.Reason).ToArray(), NpgsqlDbType.Text));
            command.Parameters.Add(Parameters.Array(fresh.Select(e => e.ErrorCode).ToArray(), NpgsqlDbType.Text));
            command.Parameters.Add(Parameters.Array(fresh.Select(e => StreamEventSerializer.RecordJson(e.Source.Record)).ToArray(), NpgsqlDbType.Text));
            batch.BatchCommands.Add(command);
        }
        if (again.Count > 0)
        {
            var command = new NpgsqlBatchCommand(RequarantineSql);
            command.Parameters.Add(Parameters.Array(again.Select(e => e.Source.QuarantineId!.Value).ToArray(), NpgsqlDbType.Bigint));
            command.Parameters.Add(Parameters.Array(again.Select(e => e.Reason).ToArray(), NpgsqlDbType.Text));
            command.Parameters.Add(Parameters.Array(again.Select(e => e.ErrorCode).ToArray(), NpgsqlDbType.Text));
            batch.BatchCommands.Add(command);
        }
    }
}

internal static class Parameters
{
    public static NpgsqlParameter Array<T>(T[] values, NpgsqlDbType elementType) =>
        new() { Value = values, NpgsqlDbType = NpgsqlDbType.Array | elementType };
}
