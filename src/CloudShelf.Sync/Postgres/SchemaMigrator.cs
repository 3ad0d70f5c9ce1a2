using System.Text;
using Npgsql;

namespace CloudShelf.Sync.Postgres;

/// <summary>
/// Applies the embedded migrations in order, each in its own transaction, under a session
/// advisory lock so that concurrent runs (two CI jobs, an operator) are safe; and tells a starting
/// function whether the schema is one its build may run against (<see cref="SchemaCompatibility"/>).
/// Only <c>cloudshelf-sync migrate</c> applies migrations: once per deploy, before the functions
/// are updated, so that the functions need no DDL rights and a rollback finds the newer schema.
/// </summary>
/// <param name="dataSource">The database.</param>
/// <param name="migrations">The build's migrations; null for the embedded ones (tests pass others to play a newer build).</param>
public sealed class SchemaMigrator(NpgsqlDataSource dataSource, IReadOnlyList<Migration>? migrations = null)
{
    // Any constant shared by every process that migrates this database ("CSSYNC" in ASCII).
    private const long AdvisoryLockKey = 0x435353594E43;

    // to_jsonb of the row instead of the column: a table from before the column existed still reads
    // (every migration then counts as an expand step), and a start-up check needs no DDL to read it.
    private const string ReadAppliedSql = """
        SELECT version, name, checksum, coalesce((to_jsonb(m) ->> 'compatible_with_builds_from')::integer, 0)
        FROM cloudshelf_sync.schema_migrations m
        """;

    private readonly IReadOnlyList<Migration> _migrations = migrations ?? Embedded;

    /// <summary>The migrations shipped in this build, in version order.</summary>
    public static IReadOnlyList<Migration> Embedded { get; } = LoadEmbedded();

    /// <summary>The newest migration this build knows: its schema version.</summary>
    public int BuildVersion => _migrations.Count == 0 ? 0 : _migrations[^1].Version;

    /// <summary>
    /// Applies what is missing; returns the migrations applied by this call (empty when up to date).
    /// A database that is newer than this build is fine as long as its newer migrations declare
    /// themselves compatible with it.
    /// </summary>
    /// <exception cref="SchemaMismatchException">An applied migration differs from this build's, or a newer one is incompatible with it.</exception>
    public async Task<IReadOnlyList<Migration>> MigrateAsync(CancellationToken cancellationToken = default)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await ExecuteAsync(connection, $"SELECT pg_advisory_lock({AdvisoryLockKey})", cancellationToken);
        try
        {
            await ExecuteAsync(connection, """
                CREATE SCHEMA IF NOT EXISTS cloudshelf_sync;
                CREATE TABLE IF NOT EXISTS cloudshelf_sync.schema_migrations (
                    version    integer PRIMARY KEY,
                    name       text NOT NULL,
                    checksum   text NOT NULL,
                    applied_at timestamptz NOT NULL DEFAULT now()
                );
                ALTER TABLE cloudshelf_sync.schema_migrations
                    ADD COLUMN IF NOT EXISTS compatible_with_builds_from integer NOT NULL DEFAULT 0;
                """, cancellationToken);

            var applied = await ReadAppliedAsync(connection, cancellationToken);
            var compatibility = SchemaCompatibility.Evaluate(_migrations, applied);
            if (compatibility.Status is SchemaStatus.Edited or SchemaStatus.Incompatible)
                throw new SchemaMismatchException(compatibility);

            var known = applied.Select(m => m.Version).ToHashSet();
            var done = new List<Migration>();
            foreach (var migration in _migrations)
            {
                if (known.Contains(migration.Version)) continue;
                await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
                await ExecuteAsync(connection, migration.Sql, cancellationToken);
                await using (var record = new NpgsqlCommand("""
                    INSERT INTO cloudshelf_sync.schema_migrations (version, name, checksum, compatible_with_builds_from)
                    VALUES ($1, $2, $3, $4)
                    """, connection))
                {
                    record.Parameters.Add(new NpgsqlParameter { Value = migration.Version });
                    record.Parameters.Add(new NpgsqlParameter { Value = migration.Name });
                    record.Parameters.Add(new NpgsqlParameter { Value = migration.Checksum });
                    record.Parameters.Add(new NpgsqlParameter { Value = migration.CompatibleWithBuildsFrom });
                    await record.ExecuteNonQueryAsync(cancellationToken);
                }
                await transaction.CommitAsync(cancellationToken);
                done.Add(migration);
            }
            return done;
        }
        finally
        {
            // The lock is per session: release it before the connection returns to the pool.
            await ExecuteAsync(connection, $"SELECT pg_advisory_unlock({AdvisoryLockKey})", CancellationToken.None);
        }
    }

    /// <summary>Judges the database's schema against this build, reading only (no DDL rights needed).</summary>
    public async Task<SchemaCompatibility> CheckAsync(CancellationToken cancellationToken = default)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        IReadOnlyCollection<AppliedMigration> applied;
        try
        {
            applied = await ReadAppliedAsync(connection, cancellationToken);
        }
        catch (PostgresException e) when (e.SqlState is PostgresErrorCodes.UndefinedTable or PostgresErrorCodes.InvalidSchemaName)
        {
            // Never migrated: too old for any build.
            applied = [];
        }
        return SchemaCompatibility.Evaluate(_migrations, applied);
    }

    /// <summary>The start-up check of a function: returns the verdict when the build may run.</summary>
    /// <exception cref="SchemaMismatchException">The schema is too old, incompatible or edited; the message names both versions.</exception>
    public async Task<SchemaCompatibility> EnsureCompatibleAsync(CancellationToken cancellationToken = default)
    {
        var compatibility = await CheckAsync(cancellationToken);
        return compatibility.CanRun ? compatibility : throw new SchemaMismatchException(compatibility);
    }

    private static async Task<List<AppliedMigration>> ReadAppliedAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        var applied = new List<AppliedMigration>();
        await using var command = new NpgsqlCommand(ReadAppliedSql, connection);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
            applied.Add(new AppliedMigration(reader.GetInt32(0), reader.GetString(1), reader.GetString(2), reader.GetInt32(3)));
        return applied;
    }

    private static async Task ExecuteAsync(NpgsqlConnection connection, string sql, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    private static List<Migration> LoadEmbedded()
    {
        var assembly = typeof(SchemaMigrator).Assembly;
        var migrations = new List<Migration>();
        foreach (var resource in assembly.GetManifestResourceNames())
        {
            if (!resource.StartsWith("migrations/", StringComparison.Ordinal)) continue;
            var name = resource["migrations/".Length..];
            if (!int.TryParse(name.AsSpan(0, name.IndexOf('_', StringComparison.Ordinal)), System.Globalization.NumberStyles.None,
                    System.Globalization.CultureInfo.InvariantCulture, out var version))
                throw new InvalidOperationException($"Migration resource '{name}' must be named NNNN_description.sql.");
            using var stream = assembly.GetManifestResourceStream(resource)!;
            using var reader = new StreamReader(stream, Encoding.UTF8);
            migrations.Add(new Migration(version, name, reader.ReadToEnd()));
        }
        migrations.Sort((a, b) => a.Version.CompareTo(b.Version));
        for (var i = 1; i < migrations.Count; i++)
        {
            if (migrations[i].Version == migrations[i - 1].Version)
                throw new InvalidOperationException($"Two migrations share version {migrations[i].Version}.");
        }
        return migrations;
    }
}
