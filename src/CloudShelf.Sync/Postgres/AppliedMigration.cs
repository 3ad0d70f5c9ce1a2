namespace CloudShelf.Sync.Postgres;

/// <summary>A migration as <c>cloudshelf_sync.schema_migrations</c> records it.</summary>
/// <param name="Version">Its number.</param>
/// <param name="Name">Its file name.</param>
/// <param name="Checksum">SHA-256 of the script that was applied.</param>
/// <param name="CompatibleWithBuildsFrom">
/// The oldest build that tolerates it (0: every build). Recorded with the migration, so that a
/// build that has never seen the migration can still tell whether it may run.
/// </param>
public sealed record AppliedMigration(int Version, string Name, string Checksum, int CompatibleWithBuildsFrom);
