using CloudShelf.Sync.Mapping;
using CloudShelf.Sync.Observability;
using CloudShelf.Sync.StreamSync;
using Npgsql;

namespace CloudShelf.Sync.Postgres;

/// <summary>
/// Applies a batch of changes with a constant number of statements per table, sent as one
/// pipelined batch (see <see cref="TableStatements"/>), then the quarantine, in one transaction.
/// The writer owns the lock order: it sorts its input by (table, key), so every transaction it
/// opens locks rows in ascending (table, key) order and concurrent batches cannot deadlock;
/// deadlocks and serialization failures are still retried here, for the stream and the backfill
/// alike. When the database refuses some record, the refused records are isolated (see
/// <see cref="RefusalIsolation"/>) and quarantined, and everything else is applied together, as
/// if they had never been in the batch.
/// </summary>
public sealed class ChangeWriter : IChangeWriter
{
    /// <summary>How often a transaction that lost a race (deadlock, serialization failure) is run in all.</summary>
    public const int MaxConflictAttempts = 3;

    private readonly NpgsqlDataSource _dataSource;
    private readonly Dictionary<TableMapping, TableStatements> _statements;
    private readonly ILog _log;
    private readonly TimeProvider _time;

    /// <summary>Prepares the statements of every mapped table.</summary>
    public ChangeWriter(NpgsqlDataSource dataSource, SyncMapping mapping, ILog? log = null, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(mapping);
        _dataSource = dataSource ?? throw new ArgumentNullException(nameof(dataSource));
        _statements = mapping.Tables.ToDictionary(t => t, t => new TableStatements(t));
        _log = log ?? NullLog.Instance;
        _time = time ?? TimeProvider.System;
    }

    /// <summary>The data source the writer works on.</summary>
    internal NpgsqlDataSource DataSource => _dataSource;

    /// <summary>
    /// Writes the changes (at most one per item, in any order) and the quarantine entries. Throws
    /// on transient database failures; transactions committed before such a failure hold changes
    /// that a redelivery finds already applied, so nothing is lost or applied twice.
    /// </summary>
    public async Task<WriteResult> WriteAsync(
        IReadOnlyList<Change> changes,
        IReadOnlyList<QuarantineEntry> quarantine,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(changes);
        ArgumentNullException.ThrowIfNull(quarantine);
        var sorted = Sort(changes);

        var won = new HashSet<Change>();
        var (fault, _) = await CommitAsync(sorted, quarantine, won, cancellationToken);
        if (fault is null)
            return new WriteResult { Won = won, Committed = sorted, Quarantined = quarantine };

        var isolation = new RefusalIsolation(this, quarantine);
        return await isolation.RunAsync(sorted, fault, cancellationToken);
    }

    /// <summary>The lock order: tables by name, then keys, ordinal. One home for it, here.</summary>
    internal static List<Change> Sort(IReadOnlyList<Change> changes)
    {
        var sorted = changes.ToList();
        sorted.Sort(static (a, b) =>
        {
            var byTable = string.CompareOrdinal(a.Table.Table, b.Table.Table);
            return byTable != 0 ? byTable : string.CompareOrdinal(a.Key, b.Key);
        });
        for (var i = 1; i < sorted.Count; i++)
        {
            if (ReferenceEquals(sorted[i].Table, sorted[i - 1].Table) && string.Equals(sorted[i].Key, sorted[i - 1].Key, StringComparison.Ordinal))
                throw new ArgumentException($"Two changes of {sorted[i].Table.Table} key '{sorted[i].Key}': collapse them to the newest first.", nameof(changes));
        }
        return sorted;
    }

    /// <summary>
    /// Applies changes and entries in one transaction and commits, running it again when it lost a
    /// race. Returns the record fault that made the database refuse it (nothing committed then), or
    /// null when committed; and whether the quarantine had to be stored encoded.
    /// </summary>
    internal async Task<(PostgresException? Fault, bool Encoded)> CommitAsync(
        IReadOnlyList<Change> changes, IReadOnlyList<QuarantineEntry> quarantine, HashSet<Change> won, CancellationToken cancellationToken)
    {
        var encoded = false;
        for (var attempt = 1; ; attempt++)
        {
            await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken);
            await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
            var winners = new HashSet<Change>();
            try
            {
                await ExecuteAsync(connection, changes, quarantine, winners, encoded, cancellationToken);
                await transaction.CommitAsync(cancellationToken);
                won.UnionWith(winners);
                return (null, encoded);
            }
            catch (PostgresException e) when (PostgresErrors.IsRecordFault(e) && !encoded && quarantine.Count > 0
                                              && (e.BatchCommand is not { } failed || QuarantineStatements.IsQuarantineStatement(failed)))
            {
                // The quarantine entry itself may be what was refused: try again with the entries in the
                // form PostgreSQL always accepts. A refused change fails that attempt too, and is returned.
                await transaction.RollbackAsync(cancellationToken);
                _log.Warn("Quarantine entry refused as it was; storing it encoded",
                    new LogField("sql_state", e.SqlState), new LogField("reason", PostgresErrors.Describe(e)));
                encoded = true;
                attempt--;
            }
            catch (PostgresException e) when (PostgresErrors.IsRecordFault(e))
            {
                await transaction.RollbackAsync(cancellationToken);
                return (e, encoded);
            }
            catch (Exception e) when (PostgresErrors.IsRetryableConflict(e) && attempt < MaxConflictAttempts)
            {
                await DelayAfterConflictAsync(e, attempt, cancellationToken);
            }
        }
    }

    /// <summary>Waits a little (with jitter) before a transaction that lost a race runs again.</summary>
    internal async Task DelayAfterConflictAsync(Exception e, int attempt, CancellationToken cancellationToken)
    {
        _log.Warn("Transaction lost a race; trying again", new LogField("attempt", attempt),
            new LogField("sql_state", (e as PostgresException)?.SqlState));
        await Task.Delay(TimeSpan.FromMilliseconds(20 * attempt * Random.Shared.Next(1, 4)), _time, cancellationToken);
    }

    /// <summary>
    /// Sends every statement of the changes (sorted) and the entries as one pipelined batch on the
    /// connection's open transaction; records in <paramref name="won"/> the changes that became
    /// their item's newest state.
    /// </summary>
    internal async Task ExecuteAsync(
        NpgsqlConnection connection,
        IReadOnlyList<Change> changes,
        IReadOnlyList<QuarantineEntry> quarantine,
        HashSet<Change> won,
        bool encodedQuarantine,
        CancellationToken cancellationToken)
    {
        await using var batch = new NpgsqlBatch(connection);
        // The changes are sorted: tables in name order, each table's keys ascending.
        var start = 0;
        for (var i = 1; i <= changes.Count; i++)
        {
            if (i < changes.Count && ReferenceEquals(changes[i].Table, changes[start].Table)) continue;
            var group = new List<Change>(i - start);
            for (var j = start; j < i; j++) group.Add(changes[j]);
            _statements[changes[start].Table].AddTo(batch, group);
            start = i;
        }
        QuarantineStatements.AddTo(batch, quarantine, encodedQuarantine);
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
