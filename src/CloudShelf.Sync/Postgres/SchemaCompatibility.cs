namespace CloudShelf.Sync.Postgres;

/// <summary>
/// Whether a build may run against a database's schema (expand/contract). A build runs against
/// the schema it knows and against any newer one whose newer migrations all declare themselves
/// compatible with it; it refuses a schema missing one of its own migrations (too old), one with a
/// newer contract migration it predates (incompatible), and one where a migration it knows was
/// applied from a different script (edited).
/// </summary>
/// <param name="Status">The verdict.</param>
/// <param name="DatabaseVersion">The newest migration applied to the database (0: none).</param>
/// <param name="BuildVersion">The newest migration this build knows.</param>
/// <param name="Message">What was found and what to do, naming both versions.</param>
public sealed record SchemaCompatibility(SchemaStatus Status, int DatabaseVersion, int BuildVersion, string Message)
{
    /// <summary>Whether the build may run.</summary>
    public bool CanRun => Status is SchemaStatus.Current or SchemaStatus.NewerCompatible;

    /// <summary>Judges a database's applied migrations against a build's.</summary>
    /// <param name="build">The build's migrations, in version order.</param>
    /// <param name="applied">What the database records as applied.</param>
    public static SchemaCompatibility Evaluate(IReadOnlyList<Migration> build, IReadOnlyCollection<AppliedMigration> applied)
    {
        ArgumentNullException.ThrowIfNull(build);
        ArgumentNullException.ThrowIfNull(applied);
        var buildVersion = build.Count == 0 ? 0 : build[^1].Version;
        var databaseVersion = applied.Count == 0 ? 0 : applied.Max(m => m.Version);
        var byVersion = applied.ToDictionary(m => m.Version);
        var versions = $"The database schema is at version {databaseVersion}, this build is at version {buildVersion}";

        foreach (var migration in build)
        {
            if (byVersion.TryGetValue(migration.Version, out var recorded)
                && !string.Equals(recorded.Checksum, migration.Checksum, StringComparison.Ordinal))
                return new(SchemaStatus.Edited, databaseVersion, buildVersion,
                    $"{versions}: migration {migration.Name} was changed after it was applied; add a new migration instead of editing it.");
        }

        var missing = build.Where(m => !byVersion.ContainsKey(m.Version)).Select(m => m.Name).ToList();
        if (missing.Count > 0)
            return new(SchemaStatus.TooOld, databaseVersion, buildVersion,
                $"{versions}: the schema is too old, {string.Join(", ", missing)} not applied. " +
                "Run this build's `cloudshelf-sync migrate` before deploying it.");

        var known = build.Select(m => m.Version).ToHashSet();
        var blocking = applied.Where(m => !known.Contains(m.Version) && m.CompatibleWithBuildsFrom > buildVersion)
            .OrderBy(m => m.Version).FirstOrDefault();
        if (blocking is not null)
            return new(SchemaStatus.Incompatible, databaseVersion, buildVersion,
                $"{versions}: the schema is incompatible with this build, {blocking.Name} works only with builds from version " +
                $"{blocking.CompatibleWithBuildsFrom} on. Deploy a build of version {blocking.CompatibleWithBuildsFrom} or later.");

        return databaseVersion > buildVersion || applied.Any(m => !known.Contains(m.Version))
            ? new(SchemaStatus.NewerCompatible, databaseVersion, buildVersion,
                $"{versions}: the newer migrations declare themselves compatible with this build.")
            : new(SchemaStatus.Current, databaseVersion, buildVersion, $"{versions}: up to date.");
    }
}
