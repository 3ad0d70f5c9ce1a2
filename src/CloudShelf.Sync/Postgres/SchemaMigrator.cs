using System.Reflection;
using System.Security.Cryptography;
using System.Text;
using Npgsql;

namespace CloudShelf.Sync.Postgres;

/// <summary>One versioned migration, embedded in the assembly as <c>NNNN_name.sql</c>.</summary>
/// <param name="Version">The number that orders migrations.</param>
/// <param name="Name">The file name.</param>
/// <param name="Sql">The script.</param>
public sealed record Migration(int Version, string Name, string Sql)
{
    /// <summary>SHA-256 of the script, recorded so that an edited, already applied migration is caught.</summary>
    public string Checksum { get; } = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(Sql)));
}

/// <summary>
/// Applies the embedded migrations in order, each in its own transaction, under a session
/// advisory lock so that many cold-starting Lambdas and a CLI can run it at once safely.
/// </summary>
public sealed class SchemaMigrator(NpgsqlDataSource dataSource)
{
    // Any constant shared by every process that migrates this database ("CSSYNC" in ASCII).
    private const long AdvisoryLockKey = 0x435353594E43;

    /// <summary>The migrations shipped in this build, in version order.</summary>
    public static IReadOnlyList<Migration> Embedded { get; } = LoadEmbedded();

    /// <summary>Applies what is missing; returns the migrations applied by this call (empty when up to date).</summary>
    /// <exception cref="InvalidOperationException">An applied migration differs from the shipped one, or the database is newer than this build.</exception>
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
                """, cancellationToken);

            var applied = await ReadAppliedAsync(connection, cancellationToken);
            var newest = Embedded.Count == 0 ? 0 : Embedded[^1].Version;
            foreach (var (version, (name, _)) in applied)
            {
                if (version > newest)
                    throw new InvalidOperationException(
                        $"The database has migration {version} ({name}), newer than this build knows (up to {newest}); deploy the newer build.");
            }

            var done = new List<Migration>();
            foreach (var migration in Embedded)
            {
                if (applied.TryGetValue(migration.Version, out var existing))
                {
                    if (!string.Equals(existing.Checksum, migration.Checksum, StringComparison.Ordinal))
                        throw new InvalidOperationException(
                            $"Migration {migration.Name} was changed after it was applied; add a new migration instead of editing it.");
                    continue;
                }

                await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
                await ExecuteAsync(connection, migration.Sql, cancellationToken);
                await using (var record = new NpgsqlCommand(
                    "INSERT INTO cloudshelf_sync.schema_migrations (version, name, checksum) VALUES ($1, $2, $3)", connection))
                {
                    record.Parameters.Add(new NpgsqlParameter { Value = migration.Version });
                    record.Parameters.Add(new NpgsqlParameter { Value = migration.Name });
                    record.Parameters.Add(new NpgsqlParameter { Value = migration.Checksum });
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

    private static async Task<Dictionary<int, (string Name, string Checksum)>> ReadAppliedAsync(
        NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        var applied = new Dictionary<int, (string, string)>();
        await using var command = new NpgsqlCommand("SELECT version, name, checksum FROM cloudshelf_sync.schema_migrations", connection);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
            applied[reader.GetInt32(0)] = (reader.GetString(1), reader.GetString(2));
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
