using CloudShelf.Sync.StreamSync;
using Npgsql;

namespace CloudShelf.Sync.Postgres;

/// <summary>
/// Finds the records of a batch that the database refuses, applies everything else together, and
/// quarantines only what is refused in every order it could be applied in.
/// <list type="number">
/// <item><b>Probe</b>: candidate subsets are run under one savepoint that is always rolled back, so
/// a probe leaves nothing behind: never more than one subtransaction is open, and a rolled-back
/// subtransaction keeps no subxid (PostgreSQL's per-backend cache holds 64). Bisection finds the
/// records that fail on their own ("suspects"); halves that pass apart but fail together defer
/// their right half.</item>
/// <item><b>Apply</b> all minus the suspects in one statement set, and commit: one transaction,
/// ascending (table, key) order, no savepoint at all.</item>
/// <item><b>Retry</b> the suspects as a group in a new transaction: now that the rest is applied,
/// the second half of an e-mail handover succeeds. Repeat until nothing changes.</item>
/// <item>At that fixpoint, suspects refused by a unique constraint whose contested values are held
/// by one another (two users swapping addresses) are tried together; the rest is
/// <b>quarantined</b>, each with the reason it fails on its own.</item>
/// </list>
/// Each transaction takes its row locks in ascending (table, key) order, so concurrent batches
/// cannot deadlock; committed steps are only ever changes that a redelivery would find applied.
/// </summary>
internal sealed class RefusalIsolation(ChangeWriter writer, IReadOnlyList<QuarantineEntry> given)
{
    // Every round commits or quarantines something unless the database keeps changing under it.
    private const int MaxRounds = 64;
    private const string Savepoint = "probe";

    private readonly Dictionary<Change, PostgresException> _alone = new(ReferenceEqualityComparer.Instance);

    /// <summary>Isolates and writes; <paramref name="fault"/> is why the whole batch was refused.</summary>
    public async Task<WriteResult> RunAsync(List<Change> changes, PostgresException fault, CancellationToken cancellationToken)
    {
        var won = new HashSet<Change>();
        var committed = new List<Change>();
        var refused = new List<Change>();
        var reported = new List<QuarantineEntry>();
        IReadOnlyList<QuarantineEntry> unwritten = given;
        var pending = changes;
        PostgresException? known = fault;
        for (var round = 0; pending.Count > 0; round++)
        {
            if (round == MaxRounds)
                throw new TimeoutException($"Isolating the refused records did not settle within {MaxRounds} rounds; the batch is given back.");
            if (known is null)
            {
                (known, _) = await writer.CommitAsync(pending, unwritten, won, cancellationToken);
                if (known is null)
                {
                    committed.AddRange(pending);
                    reported.AddRange(unwritten);
                    unwritten = [];
                    break;
                }
            }

            HashSet<Change> suspects;
            if (pending.Count == 1)
            {
                _alone[pending[0]] = known;
                suspects = new HashSet<Change>(pending, ReferenceEqualityComparer.Instance);
            }
            else
            {
                suspects = await WithConflictRetryAsync(() => FindSuspectsAsync(pending, cancellationToken), cancellationToken);
            }

            if (suspects.Count == pending.Count)
            {
                var together = await WithConflictRetryAsync(() => LinkedGroupsThatPassAsync(pending, cancellationToken), cancellationToken);
                if (together.Count == 0)
                {
                    refused.AddRange(pending);
                    break;
                }
                suspects.ExceptWith(together);
            }

            var good = pending.Where(c => !suspects.Contains(c)).ToList();
            var (goodFault, _) = await writer.CommitAsync(good, unwritten, won, cancellationToken);
            if (goodFault is null)
            {
                committed.AddRange(good);
                reported.AddRange(unwritten);
                unwritten = [];
                pending = pending.Where(suspects.Contains).ToList();
                known = null;
            }
            else
            {
                // The database moved since the probe: probe again from what is known now.
                known = goodFault;
            }
        }

        var quarantined = new List<QuarantineEntry>(unwritten);
        if (refused.Count > 0)
        {
            var errors = refused.Select(c => (c, _alone.TryGetValue(c, out var e) ? e : known!)).ToList();
            var holders = await UniqueHolders.FindAsync(writer.DataSource, errors, cancellationToken);
            foreach (var (change, error) in errors)
                Quarantine(quarantined, change, error, holders.GetValueOrDefault(change));
        }
        if (quarantined.Count > 0)
        {
            var (quarantineFault, _) = await writer.CommitAsync([], quarantined, won, cancellationToken);
            if (quarantineFault is not null) throw quarantineFault;
            reported.AddRange(quarantined);
        }
        return new WriteResult { Won = won, Committed = committed, Quarantined = reported };
    }

    /// <summary>
    /// The records that fail on their own (each with its error kept), plus, where two parts pass
    /// apart but fail together, the later part; the rest is verified to pass as a whole.
    /// </summary>
    private async Task<HashSet<Change>> FindSuspectsAsync(List<Change> pending, CancellationToken cancellationToken)
    {
        await using var connection = await writer.DataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await transaction.SaveAsync(Savepoint, cancellationToken);
        var probe = new Probe(writer, connection, transaction);

        var suspects = new HashSet<Change>(ReferenceEqualityComparer.Instance);
        var rest = pending;
        while (rest.Count > 0)
        {
            var found = await BisectAsync(probe, rest, knownToFail: true, cancellationToken);
            suspects.UnionWith(found);
            rest = rest.Where(c => !found.Contains(c)).ToList();
            if (rest.Count == 0 || await probe.RunAsync(rest, cancellationToken) is null) break;
        }
        await transaction.RollbackAsync(cancellationToken);
        return suspects;
    }

    private async Task<List<Change>> BisectAsync(Probe probe, List<Change> set, bool knownToFail, CancellationToken cancellationToken)
    {
        if (!knownToFail || set.Count == 1)
        {
            var error = await probe.RunAsync(set, cancellationToken);
            if (error is null) return [];
            if (set.Count == 1)
            {
                _alone[set[0]] = error;
                return set;
            }
        }
        var half = set.Count / 2;
        var left = set.GetRange(0, half);
        var right = set.GetRange(half, set.Count - half);
        var found = await BisectAsync(probe, left, knownToFail: false, cancellationToken);
        found.AddRange(await BisectAsync(probe, right, knownToFail: false, cancellationToken));
        // Both halves pass apart, so they fail only together: defer one of them to a later round.
        return found.Count == 0 ? right : found;
    }

    /// <summary>
    /// Among records that each fail on their own, those linked by a contested unique value (each
    /// holds the value another one takes) and that pass when applied together.
    /// </summary>
    private async Task<HashSet<Change>> LinkedGroupsThatPassAsync(List<Change> suspects, CancellationToken cancellationToken)
    {
        var passing = new HashSet<Change>(ReferenceEqualityComparer.Instance);
        var errors = suspects.Where(_alone.ContainsKey).Select(c => (c, _alone[c])).ToList();
        var holders = await UniqueHolders.FindAsync(writer.DataSource, errors, cancellationToken);
        if (holders.Count == 0) return passing;

        var byKey = suspects.ToDictionary(c => (c.Table.Table, c.Key));
        var parent = suspects.ToDictionary(c => c, c => c, ReferenceEqualityComparer.Instance as IEqualityComparer<Change>);
        Change Root(Change c) => ReferenceEquals(parent[c], c) ? c : parent[c] = Root(parent[c]);
        foreach (var (change, holder) in holders)
        {
            if (byKey.TryGetValue((change.Table.Table, holder), out var other)) parent[Root(change)] = Root(other);
        }
        var groups = suspects.GroupBy(Root).Where(g => g.Count() > 1).Select(g => g.ToList()).ToList();
        if (groups.Count == 0) return passing;

        await using var connection = await writer.DataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await transaction.SaveAsync(Savepoint, cancellationToken);
        var probe = new Probe(writer, connection, transaction);
        foreach (var group in groups)
        {
            if (await probe.RunAsync(group, cancellationToken) is null) passing.UnionWith(group);
        }
        await transaction.RollbackAsync(cancellationToken);
        return passing;
    }

    private async Task<T> WithConflictRetryAsync<T>(Func<Task<T>> run, CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await run();
            }
            catch (Exception e) when (PostgresErrors.IsRetryableConflict(e) && attempt < ChangeWriter.MaxConflictAttempts)
            {
                await writer.DelayAfterConflictAsync(e, attempt, cancellationToken);
            }
        }
    }

    private static void Quarantine(List<QuarantineEntry> quarantined, Change change, PostgresException e, string? conflictKey)
    {
        var reason = $"PostgreSQL refused the change: {PostgresErrors.Describe(e)}";
        var newest = change.Records[^1];
        quarantined.Add(new QuarantineEntry(newest, change.Table.Table, change.Key, reason, e.SqlState) { ConflictKey = conflictKey });
        // The older records of the item were folded into this one; they wait with it, so that a
        // replay after the fix still sees the item's whole history in order.
        foreach (var older in change.Records.Take(change.Records.Count - 1))
        {
            quarantined.Add(new QuarantineEntry(older, change.Table.Table, change.Key,
                $"Superseded within its batch by sequence number {change.SequenceNumber}, which was quarantined: {reason}", e.SqlState)
            { ConflictKey = conflictKey });
        }
    }

    /// <summary>Runs a set of changes under the probe savepoint and always rolls it back.</summary>
    private sealed class Probe(ChangeWriter writer, NpgsqlConnection connection, NpgsqlTransaction transaction)
    {
        public async Task<PostgresException?> RunAsync(List<Change> changes, CancellationToken cancellationToken)
        {
            try
            {
                await writer.ExecuteAsync(connection, changes, [], [], false, cancellationToken);
                return null;
            }
            catch (PostgresException e) when (PostgresErrors.IsRecordFault(e))
            {
                return e;
            }
            finally
            {
                // ROLLBACK TO keeps the savepoint: the next probe starts from the same clean state.
                await transaction.RollbackAsync(Savepoint, cancellationToken);
            }
        }
    }
}
