using System.Globalization;
using Npgsql;

namespace CloudShelf.Sync.Testing;

/// <summary>
/// A PostgreSQL server for integration tests: either the external server named by
/// <c>CLOUDSHELF_PG_CONNECTION</c>, or a throwaway cluster in a temporary folder that lives
/// exactly as long as this object.
/// </summary>
/// <remarks>
/// The throwaway cluster listens on 127.0.0.1 on a port the kernel picked, keeps its socket in
/// its own folder, and trades durability for speed (fsync off). PostgreSQL refuses to run as
/// root, so when the tests run as root the cluster is created and run as the <c>postgres</c>
/// system user.
/// </remarks>
public sealed class PostgresServer : IAsyncDisposable
{
    /// <summary>Names an existing server to use instead of starting a throwaway cluster.</summary>
    public const string ConnectionEnvironmentVariable = "CLOUDSHELF_PG_CONNECTION";

    private const string BinariesRoot = "/usr/lib/postgresql";
    private const string SystemUser = "postgres";
    private const int StartAttempts = 3;

    private readonly Cluster? _cluster;
    private readonly List<string> _createdDatabases = [];
    private bool _disposed;

    private PostgresServer(string connectionString, Cluster? cluster)
    {
        ConnectionString = connectionString;
        _cluster = cluster;
    }

    /// <summary>Admin connection string (superuser, database <c>postgres</c>).</summary>
    public string ConnectionString { get; }

    /// <summary>
    /// True when this object started the server and may stop it; false for the external
    /// server named by <see cref="ConnectionEnvironmentVariable"/>.
    /// </summary>
    public bool IsThrowawayCluster => _cluster is not null;

    /// <summary>The server log of the throwaway cluster (what PostgreSQL itself wrote); null for an external server.</summary>
    public string? LogFile => _cluster?.LogFile;

    /// <summary>
    /// Uses the server named by <see cref="ConnectionEnvironmentVariable"/> when it is set;
    /// otherwise creates and starts a throwaway cluster.
    /// </summary>
    /// <param name="ct">Cancels start-up.</param>
    /// <returns>A running server; dispose it to stop the cluster and delete its files.</returns>
    /// <exception cref="InvalidOperationException">
    /// The server binaries are missing, or initdb or pg_ctl failed (the message holds their output
    /// and the server log).
    /// </exception>
    public static async Task<PostgresServer> StartAsync(CancellationToken ct = default)
    {
        var external = Environment.GetEnvironmentVariable(ConnectionEnvironmentVariable);
        if (!string.IsNullOrWhiteSpace(external))
        {
            return new PostgresServer(external, cluster: null);
        }

        return await StartThrowawayAsync(ct);
    }

    /// <summary>
    /// Always starts a throwaway cluster, even when <see cref="ConnectionEnvironmentVariable"/> is
    /// set: for tests that stop and restart their server.
    /// </summary>
    /// <param name="ct">Cancels start-up.</param>
    /// <returns>A running throwaway cluster.</returns>
    public static Task<PostgresServer> StartThrowawayAsync(CancellationToken ct = default) =>
        StartThrowawayAsync(durableCommits: false, ct);

    /// <summary>
    /// Always starts a throwaway cluster; with <paramref name="durableCommits"/> a commit is
    /// acknowledged only once its WAL reached the operating system (<c>synchronous_commit=on</c>),
    /// so that <see cref="KillAsync"/> loses no committed transaction, as on a real server. Without
    /// it a SIGKILL may drop the last acknowledged commits (the default trades that for speed).
    /// </summary>
    /// <param name="durableCommits">Keep acknowledged commits across a crash of the server.</param>
    /// <param name="ct">Cancels start-up.</param>
    /// <returns>A running throwaway cluster.</returns>
    public static async Task<PostgresServer> StartThrowawayAsync(bool durableCommits, CancellationToken ct = default)
    {
        var cluster = await Cluster.CreateAsync(durableCommits, ct);
        try
        {
            await cluster.StartOnFreePortAsync(ct);
            return new PostgresServer(cluster.ConnectionString, cluster);
        }
        catch
        {
            await cluster.DestroyAsync();
            throw;
        }
    }

    /// <summary>
    /// Creates a database with a unique name, so each test (class) gets its own and tests can
    /// run in any order.
    /// </summary>
    /// <param name="template">Database to copy, e.g. one holding a migrated schema; it must
    /// have no open connections.</param>
    /// <param name="ct">Cancels the command.</param>
    /// <returns>A connection string for the new database, same credentials as
    /// <see cref="ConnectionString"/>.</returns>
    public async Task<string> CreateDatabaseAsync(string? template = null, CancellationToken ct = default)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);

        var name = "test_" + Guid.NewGuid().ToString("N");
        var sql = "CREATE DATABASE " + QuoteIdentifier(name);
        if (template is not null)
        {
            sql += " TEMPLATE " + QuoteIdentifier(template);
        }

        await using (var connection = new NpgsqlConnection(ConnectionString))
        {
            await connection.OpenAsync(ct);
            await using var command = new NpgsqlCommand(sql, connection);
            await command.ExecuteNonQueryAsync(ct);
        }

        lock (_createdDatabases)
        {
            _createdDatabases.Add(name);
        }

        return new NpgsqlConnectionStringBuilder(ConnectionString) { Database = name }.ConnectionString;
    }

    /// <summary>
    /// Stops the throwaway cluster (fast shutdown: open sessions are terminated), so tests can
    /// see the database go away. <see cref="RestartAsync"/> brings it back with its data.
    /// </summary>
    /// <exception cref="InvalidOperationException">The server is external.</exception>
    public async Task StopAsync()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        await RequireCluster(nameof(StopAsync)).StopAsync("fast");
    }

    /// <summary>
    /// Crashes the throwaway cluster: SIGKILL to the postmaster and every backend, as the kernel's
    /// OOM killer or a host failure would; no shutdown checkpoint, open sessions cut mid-transaction.
    /// <see cref="RestartAsync"/> brings it back on the same data folder and port through crash
    /// recovery. Use a cluster started with durable commits, or the last commits may be lost.
    /// </summary>
    /// <exception cref="InvalidOperationException">The server is external, or the postmaster's pid file cannot be read.</exception>
    public async Task KillAsync()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        await RequireCluster(nameof(KillAsync)).KillAsync();
    }

    /// <summary>
    /// Starts the throwaway cluster again on the same port and folder, stopping it first when it
    /// is running. Connections pooled before the stop are dead; open new ones.
    /// </summary>
    /// <exception cref="InvalidOperationException">The server is external, or pg_ctl failed.</exception>
    public async Task RestartAsync()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        var cluster = RequireCluster(nameof(RestartAsync));
        await cluster.StopAsync("fast");
        await cluster.StartAsync(CancellationToken.None);
    }

    /// <summary>
    /// Stops the throwaway cluster and deletes its folder; on an external server, drops the
    /// databases this object created instead.
    /// </summary>
    public async ValueTask DisposeAsync()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        if (_cluster is not null)
        {
            await _cluster.DestroyAsync();
        }
        else
        {
            await DropCreatedDatabasesAsync();
        }
    }

    private async Task DropCreatedDatabasesAsync()
    {
        if (_createdDatabases.Count == 0)
        {
            return;
        }

        // An external server outlives the test run: leave it as we found it. FORCE ends
        // sessions that tests left in their connection pools.
        await using var connection = new NpgsqlConnection(ConnectionString);
        await connection.OpenAsync();
        foreach (var name in _createdDatabases)
        {
            await using var command = new NpgsqlCommand(
                "DROP DATABASE IF EXISTS " + QuoteIdentifier(name) + " WITH (FORCE)", connection);
            await command.ExecuteNonQueryAsync();
        }
    }

    private Cluster RequireCluster(string operation) =>
        _cluster ?? throw new InvalidOperationException(
            $"{operation} is only supported for the throwaway cluster: {ConnectionEnvironmentVariable} "
            + "points at an external server that the tests do not own. Unset it to run this test.");

    private static string QuoteIdentifier(string identifier) =>
        "\"" + identifier.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";

    /// <summary>A cluster in a temporary folder, driven through initdb and pg_ctl.</summary>
    private sealed class Cluster
    {
        private readonly string _binDirectory;
        private readonly string _rootDirectory;
        private readonly bool _runAsSystemUser;
        private readonly bool _durableCommits;
        private int _port;
        private bool _running;

        private Cluster(string binDirectory, string rootDirectory, bool runAsSystemUser, bool durableCommits)
        {
            _binDirectory = binDirectory;
            _rootDirectory = rootDirectory;
            _runAsSystemUser = runAsSystemUser;
            _durableCommits = durableCommits;
        }

        public string ConnectionString => new NpgsqlConnectionStringBuilder
        {
            Host = "127.0.0.1",
            Port = _port,
            Username = SystemUser,
            Database = "postgres",
        }.ConnectionString;

        private string DataDirectory => Path.Combine(_rootDirectory, "data");

        public string LogFile => Path.Combine(_rootDirectory, "server.log");

        public static async Task<Cluster> CreateAsync(bool durableCommits, CancellationToken ct)
        {
            var binDirectory = FindBinDirectory();

            // .NET resolves Environment.UserName from the effective uid, so this is the geteuid()
            // check without P/Invoke.
            var runAsSystemUser = string.Equals(Environment.UserName, "root", StringComparison.Ordinal);

            var rootDirectory = Directory.CreateTempSubdirectory("cloudshelf-pg-").FullName;
            var cluster = new Cluster(binDirectory, rootDirectory, runAsSystemUser, durableCommits);
            try
            {
                if (runAsSystemUser)
                {
                    await cluster.RunCheckedAsync(
                        "chown", [$"{SystemUser}:{SystemUser}", rootDirectory], asSystemUser: false, ct);
                }

                await cluster.RunCheckedAsync(
                    Path.Combine(binDirectory, "initdb"),
                    [
                        "-D", cluster.DataDirectory,
                        "-U", SystemUser,
                        "--auth=trust",
                        "-E", "UTF8",
                        "--no-locale",
                        // Durability is pointless for a cluster deleted after the run.
                        "--no-sync",
                    ],
                    asSystemUser: runAsSystemUser,
                    ct);
                return cluster;
            }
            catch
            {
                await cluster.DestroyAsync();
                throw;
            }
        }

        public async Task StartOnFreePortAsync(CancellationToken ct)
        {
            for (var attempt = 1; ; attempt++)
            {
                _port = FreeTcpPort.Next();
                try
                {
                    await StartAsync(ct);
                    return;
                }
                catch (InvalidOperationException) when (attempt < StartAttempts && PortWasTaken())
                {
                    // Another process bound the port between our probe and the postmaster's bind.
                }
            }
        }

        public async Task StartAsync(CancellationToken ct)
        {
            if (_running)
            {
                return;
            }

            var options = string.Join(
                ' ',
                "-p", _port.ToString(CultureInfo.InvariantCulture),
                "-k", _rootDirectory,
                "-c", "listen_addresses=127.0.0.1",
                "-c", "fsync=off",
                "-c", _durableCommits ? "synchronous_commit=on" : "synchronous_commit=off",
                "-c", "full_page_writes=off",
                "-c", "max_connections=200");
            await RunCheckedAsync(
                Path.Combine(_binDirectory, "pg_ctl"),
                ["-D", DataDirectory, "-l", LogFile, "-o", options, "-w", "-t", "60", "start"],
                asSystemUser: _runAsSystemUser,
                ct);
            _running = true;
        }

        public async Task StopAsync(string mode)
        {
            if (!_running)
            {
                return;
            }

            await RunCheckedAsync(
                Path.Combine(_binDirectory, "pg_ctl"),
                ["-D", DataDirectory, "-m", mode, "-w", "-t", "60", "stop"],
                asSystemUser: _runAsSystemUser,
                CancellationToken.None);
            _running = false;
        }

        public async Task KillAsync()
        {
            if (!_running)
            {
                return;
            }

            var pidFile = Path.Combine(DataDirectory, "postmaster.pid");
            var firstLine = File.Exists(pidFile) ? File.ReadLines(pidFile).FirstOrDefault() : null;
            if (!int.TryParse(firstLine, NumberStyles.None, CultureInfo.InvariantCulture, out var pid))
            {
                throw new InvalidOperationException($"Cannot read the postmaster's pid from {pidFile}.");
            }

            // The backends too: a new postmaster refuses to start while one of them still holds the
            // old shared memory, and an orphaned backend lingers until it next looks for its postmaster.
            using (var postmaster = System.Diagnostics.Process.GetProcessById(pid))
            {
                postmaster.Kill(entireProcessTree: true);
                await postmaster.WaitForExitAsync();
            }

            _running = false;
        }

        public async Task DestroyAsync()
        {
            // Immediate mode: the data is about to be deleted, so there is nothing to flush.
            try
            {
                await StopAsync("immediate");
            }
            finally
            {
                Directory.Delete(_rootDirectory, recursive: true);
            }
        }

        private bool PortWasTaken() =>
            File.Exists(LogFile)
            && File.ReadAllText(LogFile).Contains("Address already in use", StringComparison.Ordinal);

        private async Task RunCheckedAsync(
            string fileName,
            IReadOnlyList<string> arguments,
            bool asSystemUser,
            CancellationToken ct)
        {
            if (asSystemUser)
            {
                arguments = ["-u", SystemUser, "--", fileName, .. arguments];
                fileName = "runuser";
            }

            var result = await ExternalProcess.RunAsync(fileName, arguments, _rootDirectory, ct);
            if (result.ExitCode == 0)
            {
                return;
            }

            var log = File.Exists(LogFile) ? File.ReadAllText(LogFile) : "(no server log)";
            throw new InvalidOperationException(
                $"`{ExternalProcess.Describe(fileName, arguments)}` exited with {result.ExitCode}.\n"
                + $"--- output ---\n{result.Output}\n--- {LogFile} ---\n{log}");
        }

        private static string FindBinDirectory()
        {
            var candidates = Directory.Exists(BinariesRoot)
                ? Directory.GetDirectories(BinariesRoot)
                : [];
            var best = candidates
                .Select(dir => (Dir: dir, Version: decimal.TryParse(
                    Path.GetFileName(dir), NumberStyles.Number, CultureInfo.InvariantCulture, out var v) ? v : -1m))
                .Where(c => c.Version >= 0
                    && File.Exists(Path.Combine(c.Dir, "bin", "initdb"))
                    && File.Exists(Path.Combine(c.Dir, "bin", "pg_ctl")))
                .OrderByDescending(c => c.Version)
                .Select(c => Path.Combine(c.Dir, "bin"))
                .FirstOrDefault();

            return best ?? throw new InvalidOperationException(
                $"No PostgreSQL server binaries (initdb, pg_ctl) under {BinariesRoot}/*/bin. "
                + $"Run `make deps` to install them, or set {ConnectionEnvironmentVariable} to use an existing server.");
        }
    }
}
