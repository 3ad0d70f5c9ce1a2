using CloudShelf.Sync.Drift;
using CloudShelf.Sync.Mapping;

namespace CloudShelf.Sync.Lag;

/// <summary>
/// The drift detector's view of changes in flight, from sync-lag's stream audit: a key has a pending
/// change while <c>cloudshelf_sync.lag_pending</c> holds a change of it that PostgreSQL does not hold
/// yet. Only as current as sync-lag's last read of the stream; a change written after it is caught by the
/// detector's own re-read instead.
/// </summary>
public sealed class StreamAuditPendingChanges(LagStore store) : IPendingChanges
{
    /// <inheritdoc />
    public Task<IReadOnlySet<string>> PendingAsync(TableMapping table, IReadOnlyCollection<string> keys, CancellationToken cancellationToken) =>
        store.PendingKeysAsync(table, keys, cancellationToken);
}
