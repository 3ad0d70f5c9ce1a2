using System.Text.RegularExpressions;
using CloudShelf.Sync.Hosting;
using CloudShelf.Sync.Testing;
using Npgsql;

namespace CloudShelf.Sync.IntegrationTests.Infrastructure;

/// <summary>
/// Reads what PostgreSQL itself logged with <c>log_statement = all</c> and
/// <c>log_line_prefix = '%p|'</c>, and replays each backend's transaction control to find the most
/// subtransactions any transaction held at once, as the server counts them: a SAVEPOINT adds one;
/// a RELEASE keeps it (a released subtransaction that wrote keeps its subxid until the top-level
/// commit); a ROLLBACK TO drops every subtransaction begun since that savepoint and begins it
/// again; COMMIT or ROLLBACK ends them all.
/// </summary>
public static partial class StatementLog
{
    /// <summary>
    /// Makes <paramref name="server"/> log every statement with its backend's pid, and returns services
    /// over a new migrated database of it.
    /// </summary>
    public static async Task<SyncServices> CreateLoggedServicesAsync(PostgresServer server)
    {
        ArgumentNullException.ThrowIfNull(server);
        Assert.NotNull(server.LogFile);
        await using (var admin = new NpgsqlConnection(server.ConnectionString))
        {
            await admin.OpenAsync();
            await using var configure = new NpgsqlCommand(
                "ALTER SYSTEM SET log_statement = 'all'; ALTER SYSTEM SET log_line_prefix = '%p|'; SELECT pg_reload_conf();", admin);
            await configure.ExecuteNonQueryAsync();
        }
        var connection = await server.CreateDatabaseAsync();
        var services = SyncDatabase.CreateServices(connection, TextWriter.Null);
        await services.Migrator.MigrateAsync();
        await using (var check = services.DataSource.CreateCommand("SELECT current_setting('log_statement')"))
            Assert.Equal("all", await check.ExecuteScalarAsync());
        return services;
    }

    /// <summary>The highest number of subtransactions one transaction held at once, and how many statements were read.</summary>
    public static (int MaxSubtransactions, int Statements, int Savepoints) Measure(IEnumerable<string> lines)
    {
        var stacks = new Dictionary<string, List<(string Name, int Before)>>(StringComparer.Ordinal);
        var live = new Dictionary<string, int>(StringComparer.Ordinal);
        int max = 0, statements = 0, savepoints = 0;
        foreach (var line in lines)
        {
            var match = StatementLine().Match(line);
            if (!match.Success) continue;
            statements++;
            var pid = match.Groups[1].Value;
            var sql = match.Groups[2].Value.Trim().TrimEnd(';').Trim();
            if (!stacks.TryGetValue(pid, out var stack)) stacks[pid] = stack = [];
            var count = live.GetValueOrDefault(pid);
            var words = sql.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            var verb = words.Length == 0 ? "" : words[0].ToUpperInvariant();
            if (verb == "SAVEPOINT")
            {
                savepoints++;
                stack.Add((words[1], count));
                count++;
            }
            else if (verb == "RELEASE")
            {
                var name = words[^1];
                var at = stack.FindLastIndex(s => s.Name == name);
                if (at >= 0) stack.RemoveRange(at, stack.Count - at);
            }
            else if (verb == "ROLLBACK" && words.Length > 1 && words[1].Equals("TO", StringComparison.OrdinalIgnoreCase))
            {
                var name = words[^1];
                var at = stack.FindLastIndex(s => s.Name == name);
                if (at >= 0)
                {
                    count = stack[at].Before + 1;
                    stack.RemoveRange(at + 1, stack.Count - at - 1);
                }
            }
            else if (verb is "COMMIT" or "ROLLBACK" or "END" or "ABORT")
            {
                stack.Clear();
                count = 0;
            }
            live[pid] = count;
            max = Math.Max(max, count);
        }
        return (max, statements, savepoints);
    }

    // "<pid>|LOG:  statement: SAVEPOINT probe" or "<pid>|LOG:  execute <unnamed>: ..."
    [GeneratedRegex(@"^(\d+)\|LOG:\s+(?:statement|execute [^:]+):\s*(.*)$")]
    private static partial Regex StatementLine();
}
