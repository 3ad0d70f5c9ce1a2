using CloudShelf.Sync.Mapping;

namespace CloudShelf.Sync.Drift;

/// <summary>
/// Which keys have a stream change that PostgreSQL does not hold yet. A difference on such a key is
/// in flight, not drift. The stream audit answers this; without it, only the re-read of both sides
/// tells a change in flight.
/// </summary>
public interface IPendingChanges
{
    /// <summary>Of <paramref name="keys"/>, those with a stream change not yet applied to PostgreSQL.</summary>
    Task<IReadOnlySet<string>> PendingAsync(TableMapping table, IReadOnlyCollection<string> keys, CancellationToken cancellationToken);
}
