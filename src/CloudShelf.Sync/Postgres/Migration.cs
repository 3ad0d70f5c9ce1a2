using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace CloudShelf.Sync.Postgres;

/// <summary>
/// One versioned migration, embedded in the assembly as <c>NNNN_name.sql</c>. A migration is an
/// expand step unless its leading comment says otherwise with
/// <c>-- compatible-with-builds-from: N</c> (a contract step): then only builds that know
/// migration N or later may run against a schema that holds it.
/// </summary>
public sealed record Migration
{
    /// <summary>The header line that makes a migration a contract step.</summary>
    public const string CompatibilityMarker = "-- " + MarkerKey;

    private const string MarkerKey = "compatible-with-builds-from:";

    /// <summary>Reads a migration's script, its marker included.</summary>
    /// <param name="version">The number that orders migrations.</param>
    /// <param name="name">The file name.</param>
    /// <param name="sql">The script.</param>
    /// <exception cref="InvalidOperationException">The marker is malformed, or names a version after the migration's own.</exception>
    public Migration(int version, string name, string sql)
    {
        ArgumentNullException.ThrowIfNull(sql);
        Version = version;
        Name = name;
        Sql = sql;
        CompatibleWithBuildsFrom = ReadMarker(version, name, sql);
        Checksum = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(sql)));
    }

    /// <summary>The number that orders migrations.</summary>
    public int Version { get; }

    /// <summary>The file name.</summary>
    public string Name { get; }

    /// <summary>The script.</summary>
    public string Sql { get; }

    /// <summary>
    /// The oldest build (by the newest migration it knows) that may run against a schema holding
    /// this migration; 0 for an expand migration, which every older build tolerates.
    /// </summary>
    public int CompatibleWithBuildsFrom { get; }

    /// <summary>SHA-256 of the script, recorded so that an edited, already applied migration is caught.</summary>
    public string Checksum { get; }

    private static int ReadMarker(int version, string name, string sql)
    {
        // Only the leading comment block counts, so that a marker quoted further down in a
        // comment about an older migration cannot turn this one into a contract step.
        foreach (var raw in sql.Split('\n'))
        {
            var line = raw.Trim();
            if (line.Length == 0) continue;
            if (!line.StartsWith("--", StringComparison.Ordinal)) break;
            var comment = line[2..].TrimStart();
            if (!comment.StartsWith(MarkerKey, StringComparison.OrdinalIgnoreCase)) continue;

            var value = comment[MarkerKey.Length..].Trim();
            if (!int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var from) || from < 1 || from > version)
                throw new InvalidOperationException(
                    $"Migration {name}: '{line}' must name the version of the oldest build that tolerates it, a number from 1 to {version}.");
            return from;
        }
        return 0;
    }
}
