namespace CloudShelf.Sync.StreamSync;

/// <summary>Writes changes to PostgreSQL; the seam unit tests replace.</summary>
public interface IChangeWriter
{
    /// <summary>See <see cref="Postgres.ChangeWriter.WriteAsync"/>.</summary>
    Task<Postgres.WriteResult> WriteAsync(IReadOnlyList<Change> changes, IReadOnlyList<QuarantineEntry> quarantine, CancellationToken cancellationToken);
}
