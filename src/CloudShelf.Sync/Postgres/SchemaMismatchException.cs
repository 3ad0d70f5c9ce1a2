namespace CloudShelf.Sync.Postgres;

/// <summary>The database's schema is one this build must not run against; the message names both versions.</summary>
public sealed class SchemaMismatchException(SchemaCompatibility compatibility)
    : Exception(compatibility?.Message ?? throw new ArgumentNullException(nameof(compatibility)))
{
    /// <summary>What the check found.</summary>
    public SchemaCompatibility Compatibility { get; } = compatibility;
}
