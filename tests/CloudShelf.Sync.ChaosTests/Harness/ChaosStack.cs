using Amazon.DynamoDBv2;
using Amazon.DynamoDBv2.Model;
using Amazon.Runtime;
using CloudShelf.Sync.Cli.LocalMapping;
using CloudShelf.Sync.Configuration;
using CloudShelf.Sync.Drift;
using CloudShelf.Sync.Dynamo;
using CloudShelf.Sync.Hosting;
using CloudShelf.Sync.Lag;
using CloudShelf.Sync.Observability;
using CloudShelf.Sync.Postgres;
using CloudShelf.Sync.StreamReading;
using CloudShelf.Sync.StreamSync;
using CloudShelf.Sync.Testing;
using Npgsql;
using AttributeValue = CloudShelf.Sync.Streams.AttributeValue;

namespace CloudShelf.Sync.ChaosTests.Harness;

/// <summary>
/// One scenario's stack: its own books, users and orders tables in the shared DynamoDB Local (streams
/// NEW_AND_OLD_IMAGES), its own database, the sync's services over both, the local event source mapping
/// (in-process stream-sync or the bootstrap), and the three end checks every scenario finishes with.
/// </summary>
public sealed class ChaosStack : IAsyncDisposable
{
    private readonly StreamWriter _log;
    private readonly TextWriter _output;
    private readonly DynamoDbStreamsClient _streams;
    private readonly string _onFailure;

    private ChaosStack(string name, PostgresServer postgres, string connectionString, Dictionary<string, string> environment, string prefix)
    {
        Name = name;
        Postgres = postgres;
        ConnectionString = connectionString;
        Environment = environment;
        Books = prefix + "-books";
        Users = prefix + "-users";
        Orders = prefix + "-orders";
        var logDirectory = Path.Combine(Path.GetTempPath(), "cloudshelf-chaos");
        Directory.CreateDirectory(logDirectory);
        LogFile = Path.Combine(logDirectory, $"{name}-{prefix}.log");
        _log = new StreamWriter(LogFile, append: false) { AutoFlush = true };
        var output = _output = TextWriter.Synchronized(_log);
        Log = new JsonLogger(output, new LogContext { FunctionName = "chaos-" + name }, TimeProvider.System, LogLevel.Information);
        Settings = SyncSettings.Load(new DictionaryEnvironment(environment));
        Services = SyncServices.Create(Settings, Log, new EmfMetrics(output, "cloudshelf-sync", TimeProvider.System), TimeProvider.System);
        _streams = DynamoDbStreamsClient.Create(Settings, TimeProvider.System);
        Client = new AmazonDynamoDBClient(new BasicAWSCredentials("local", "local"),
            new AmazonDynamoDBConfig { ServiceURL = environment[SyncSettings.DynamoDbEndpointVariable], AuthenticationRegion = "us-east-1" });
        _onFailure = Directory.CreateTempSubdirectory("cloudshelf-chaos-on-failure-").FullName;
    }

    /// <summary>The scenario's name (log file, function name in logs).</summary>
    public string Name { get; }

    /// <summary>The PostgreSQL server the scenario's database lives on.</summary>
    public PostgresServer Postgres { get; }

    /// <summary>The scenario's database.</summary>
    public string ConnectionString { get; }

    /// <summary>The database's name.</summary>
    public string DatabaseName => new NpgsqlConnectionStringBuilder(ConnectionString).Database!;

    /// <summary>The settings the services were built from (for the bootstrap's environment).</summary>
    public Dictionary<string, string> Environment { get; }

    /// <summary>The validated settings.</summary>
    public SyncSettings Settings { get; }

    /// <summary>The sync's services, as the functions and the CLI build them.</summary>
    public SyncServices Services { get; }

    /// <summary>Logs and metrics of the sync and the mapping, one JSON object per line (named in failure messages).</summary>
    public string LogFile { get; }

    /// <summary>The log the mapping writes to.</summary>
    public ILog Log { get; }

    /// <summary>The SDK client the traffic writes with.</summary>
    public AmazonDynamoDBClient Client { get; }

    /// <summary>The books table.</summary>
    public string Books { get; }

    /// <summary>The users table.</summary>
    public string Users { get; }

    /// <summary>The orders table.</summary>
    public string Orders { get; }

    /// <summary>The synced tables.</summary>
    public IReadOnlyList<string> Tables => [Books, Users, Orders];

    /// <summary>The real Streams API of DynamoDB Local.</summary>
    public IDynamoDbStreams StreamsApi => _streams;

    /// <summary>The on-failure destination of every mapping run of this stack.</summary>
    public string OnFailureDirectory => _onFailure;

    /// <summary>
    /// Creates the tables (with streams unless <paramref name="streams"/> is false) and a database: on the
    /// shared server from the migrated template, or migrated on <paramref name="postgres"/> when given.
    /// </summary>
    public static async Task<ChaosStack> CreateAsync(ChaosServers servers, string name, PostgresServer? postgres = null, bool streams = true,
        Dictionary<string, string>? settings = null)
    {
        ArgumentNullException.ThrowIfNull(servers);
        string connection;
        if (postgres is null)
        {
            postgres = servers.Postgres;
            connection = await postgres.CreateDatabaseAsync(servers.TemplateName);
        }
        else
        {
            connection = await postgres.CreateDatabaseAsync();
            await ChaosServers.MigrateAsync(connection);
        }
        var prefix = "c" + Guid.NewGuid().ToString("N")[..10];
        var environment = new Dictionary<string, string>(settings ?? [])
        {
            [SyncSettings.PostgresConnectionVariable] = connection,
            [SyncSettings.DynamoDbEndpointVariable] = servers.Dynamo.Endpoint,
            [SyncSettings.BooksTableVariable] = prefix + "-books",
            [SyncSettings.UsersTableVariable] = prefix + "-users",
            [SyncSettings.OrdersTableVariable] = prefix + "-orders",
        };
        // The stream audit counts a change as lost once a later one of its shard has been in PostgreSQL this long.
        environment.TryAdd(SyncSettings.LostGraceVariable, "2");
        var stack = new ChaosStack(name, postgres, connection, environment, prefix);
        await Task.WhenAll(stack.Services.Mapping.Tables.Select(t => stack.Client.CreateTableAsync(new CreateTableRequest
        {
            TableName = t.SourceTable,
            KeySchema = [new KeySchemaElement(t.KeyAttribute, KeyType.HASH)],
            AttributeDefinitions = [new AttributeDefinition(t.KeyAttribute, ScalarAttributeType.S)],
            BillingMode = BillingMode.PAY_PER_REQUEST,
            StreamSpecification = streams ? new StreamSpecification { StreamEnabled = true, StreamViewType = StreamViewType.NEW_AND_OLD_IMAGES } : null,
        })));
        return stack;
    }

    /// <summary>Enables NEW_AND_OLD_IMAGES streams on tables created without them (after their items were written).</summary>
    public async Task EnableStreamsAsync()
    {
        foreach (var table in Tables)
        {
            await Client.UpdateTableAsync(new UpdateTableRequest
            {
                TableName = table,
                StreamSpecification = new StreamSpecification { StreamEnabled = true, StreamViewType = StreamViewType.NEW_AND_OLD_IMAGES },
            });
        }
    }

    /// <summary>Writes an item through the SDK.</summary>
    public Task PutAsync(string table, Dictionary<string, AttributeValue> item, CancellationToken cancellationToken = default) =>
        Client.PutItemAsync(new PutItemRequest { TableName = table, Item = item.ToDictionary(a => a.Key, a => SdkValues.ToSdk(a.Value)) }, cancellationToken);

    /// <summary>Deletes an item through the SDK.</summary>
    public Task DeleteAsync(string table, string keyAttribute, string key, CancellationToken cancellationToken = default) =>
        Client.DeleteItemAsync(new DeleteItemRequest
        {
            TableName = table, Key = new Dictionary<string, Amazon.DynamoDBv2.Model.AttributeValue> { [keyAttribute] = new() { S = key } },
        }, cancellationToken);

    /// <summary>stream-sync in this process, the handler the bootstrap hosts.</summary>
    internal IBatchInvoker InProcess() => new InProcessInvoker(FunctionCatalog.Create(StreamSyncHandler.Name, Services), TimeProvider.System);

    /// <summary>The published bootstrap behind local Runtime APIs, configured like the services, observed.</summary>
    internal async Task<ObservedInvoker> BootstrapAsync(int environments, TimeSpan? timeout = null)
    {
        var path = await PublishedBootstrap.PathAsync();
        var environment = new Dictionary<string, string>(Environment) { [SyncSettings.LogLevelVariable] = "INFO" };
#pragma warning disable CA2000 // The observer owns the invoker it wraps and disposes it.
        return new ObservedInvoker(new BootstrapInvoker(path, environment, environments, _output, TimeProvider.System, timeout));
#pragma warning restore CA2000
    }

    /// <summary>The mapping's settings for a scenario: small batches, short windows, retries until the record age.</summary>
    internal LocalMappingOptions MappingOptions(int parallelization = 2) => new()
    {
        BatchSize = 20,
        BatchWindow = TimeSpan.FromMilliseconds(100),
        Parallelization = parallelization,
        PollInterval = TimeSpan.FromMilliseconds(100),
        DrainIdle = TimeSpan.FromSeconds(1),
        OnFailureDirectory = _onFailure,
    };

    /// <summary>Starts the mapping over the three tables; it runs until stopped.</summary>
    internal LiveMapping StartMapping(IBatchInvoker invoker, LocalMappingOptions? options = null, IDynamoDbStreams? streams = null) =>
        LiveMapping.Start(NewMapping(options ?? MappingOptions(), invoker, streams), Tables);

    /// <summary>Runs the mapping from its checkpoints until every shard is caught up and nothing new came (stream run --drain).</summary>
    internal async Task<MappingSummary> DrainAsync(IBatchInvoker? invoker = null, LocalMappingOptions? options = null, IDynamoDbStreams? streams = null)
    {
        var own = invoker is null;
        invoker ??= InProcess();
        try
        {
            var mapping = NewMapping((options ?? MappingOptions()) with { Drain = true }, invoker, streams);
            return await mapping.RunAsync(Tables, CancellationToken.None).WaitAsync(Eventually.DefaultTimeout);
        }
        finally
        {
            if (own) await invoker.DisposeAsync();
        }
    }

    private LocalEventSourceMapping NewMapping(LocalMappingOptions options, IBatchInvoker invoker, IDynamoDbStreams? streams) =>
        new(options, Services.DynamoDb, new DynamoDbStreamReader(streams ?? _streams, TimeProvider.System),
            new ShardCheckpointStore(Services.DataSource, ShardCheckpointStore.LocalMappingConsumer), invoker, Log, TimeProvider.System);

    /// <summary>A sync-lag monitor as the scheduled function builds it, reading the streams through <paramref name="streams"/>.</summary>
    public SyncLagMonitor SyncLag(IDynamoDbStreams? streams = null) =>
        new(Services.Mapping, new StreamArnSource(Settings.Lag, () => Services.DynamoDb), new DynamoDbStreamReader(streams ?? _streams, TimeProvider.System),
            new ShardCheckpointStore(Services.DataSource, SyncLagMonitor.Consumer), new LagStore(Services.DataSource), Settings.Lag, Log,
            Services.Metrics, TimeProvider.System);

    /// <summary>Runs sync-lag until it has read every stream to its end, and returns that run's report.</summary>
    public async Task<LagReport> AuditAsync(IDynamoDbStreams? streams = null)
    {
        var monitor = SyncLag(streams);
        for (var run = 1; ; run++)
        {
            var report = await monitor.RunAsync(CancellationToken.None);
            if (report.Tables.All(t => t.CaughtUp) || run == 10) return report;
        }
    }

    /// <summary>A row count, or any scalar.</summary>
    public async Task<T?> ScalarAsync<T>(string sql)
    {
        await using var command = Services.DataSource.CreateCommand(sql);
        var value = await command.ExecuteScalarAsync();
        return value is null or DBNull ? default : (T)value;
    }

    /// <summary>Whether PostgreSQL holds a row for the key (e.g. to wait until an item has been applied).</summary>
    public async Task<bool> HasRowAsync(string table, string key, string? column = null, string? value = null)
    {
        var mapping = Services.Mapping.ForTable(table)!;
        await using var command = Services.DataSource.CreateCommand(
            $"SELECT count(*) FROM {mapping.Schema}.{mapping.Table} WHERE {mapping.KeyColumn} = $1" + (column is null ? "" : $" AND {column} = $2"));
        command.Parameters.Add(new NpgsqlParameter { Value = key });
        if (column is not null) command.Parameters.Add(new NpgsqlParameter { Value = value });
        return (long)(await command.ExecuteScalarAsync())! > 0;
    }

    /// <summary>
    /// The three end checks: nothing lost by the stream audit (sync-lag: no lost and no unapplied change,
    /// every stream read to its end); the open quarantine holding exactly <paramref name="defects"/>; both
    /// stores scanned and compared as the model defines (apart from the defects); and the drift detector's
    /// full pass finding no drift but the defects.
    /// </summary>
    public async Task AssertEndStateAsync(IReadOnlyCollection<Defect>? defects = null, IDynamoDbStreams? streams = null)
    {
        defects ??= [];
        var lag = await AuditAsync(streams);
        foreach (var table in lag.Tables)
        {
            Assert.True(table.CaughtUp, $"sync-lag did not read {table.Table}'s stream to its end (log: {LogFile})");
            Assert.True(table.LostChanges == 0, $"{table.Table}: sync-lag found {table.LostChanges} lost changes (log: {LogFile})");
            Assert.True(table.UnappliedChanges == 0, $"{table.Table}: sync-lag found {table.UnappliedChanges} unapplied changes (log: {LogFile})");
        }

        var open = await Services.Quarantine.ListAsync();
        Assert.True(
            open.Select(q => new Defect(q.TargetTable ?? "?", q.Key ?? "?")).Order(DefectOrder).SequenceEqual(defects.Order(DefectOrder)),
            $"open quarantine [{string.Join(", ", open.Select(q => $"{q.TargetTable}/{q.Key} {q.ErrorCode}: {q.Reason}"))}], expected [{string.Join(", ", defects)}]");

        await AssertStoresEqualAsync(defects);

        var drift = await DriftAsync();
        var found = drift.Tables.SelectMany(t => t.Findings.Where(f => !f.InFlight).Select(f => new Defect(t.Table, f.Key))).Order(DefectOrder).ToList();
        Assert.True(drift.FullCoverage, "the drift pass did not cover every table");
        Assert.True(found.SequenceEqual(defects.Order(DefectOrder)),
            $"drift found [{string.Join(", ", drift.Tables.SelectMany(t => t.Findings).Select(f => $"{f.Table}/{f.Key} {f.Kind} in-flight={f.InFlight}"))}], expected [{string.Join(", ", defects)}]");
        Assert.Equal(defects.Count, drift.OpenDrift);
    }

    /// <summary>Scans both stores and asserts that every item but the defects is in PostgreSQL exactly as in DynamoDB, and nothing else is.</summary>
    public async Task AssertStoresEqualAsync(IReadOnlyCollection<Defect> defects)
    {
        ArgumentNullException.ThrowIfNull(defects);
        var reader = new RowReader(Services.DataSource);
        foreach (var mapping in Services.Mapping.Tables)
        {
            var skip = defects.Where(d => d.Table == mapping.Table).Select(d => d.Key).ToHashSet(StringComparer.Ordinal);
            var items = await ScanAsync(mapping.SourceTable, mapping.KeyAttribute);
            var keys = new List<string>();
            await using (var command = Services.DataSource.CreateCommand($"SELECT {mapping.KeyColumn} FROM {mapping.Schema}.{mapping.Table}"))
            await using (var rows = await command.ExecuteReaderAsync())
            {
                while (await rows.ReadAsync()) keys.Add(rows.GetString(0));
            }
            Assert.Equal(
                items.Keys.Where(k => !skip.Contains(k)).Order(StringComparer.Ordinal).ToList(),
                keys.Where(k => !skip.Contains(k)).Order(StringComparer.Ordinal).ToList());
            var stored = await reader.ReadItemsAsync(mapping, keys);
            foreach (var (key, item) in items)
            {
                if (skip.Contains(key)) continue;
                Assert.True(Streams.ItemEquality.Equal(item, stored[key]),
                    $"{mapping.Table} {key}: DynamoDB {Streams.DynamoJson.SerializeItem(item)} but PostgreSQL {Streams.DynamoJson.SerializeItem(stored[key])}");
            }
        }
    }

    /// <summary>A full drift pass over every table (no repair), continued until it covers everything.</summary>
    public async Task<DriftReport> DriftAsync()
    {
        var options = new DriftOptions { Segments = 2, Parallelism = 2, PageSize = 100, RecheckDelay = TimeSpan.FromMilliseconds(200) };
        for (var run = 1; ; run++)
        {
            var report = await Services.Drift.RunAsync(options, CancellationToken.None);
            if (report.FullCoverage || run == 5) return report;
        }
    }

    /// <summary>Every item of a DynamoDB table, by key (a consistent scan).</summary>
    public Task<Dictionary<string, Dictionary<string, AttributeValue>>> ScanAsync(string table, string keyAttribute) =>
        ConsistentScan.ItemsByKeyAsync(Client, table, keyAttribute);

    private static readonly IComparer<Defect> DefectOrder = Comparer<Defect>.Create((a, b) => string.CompareOrdinal(a.ToString(), b.ToString()));

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await Services.DisposeAsync();
        _streams.Dispose();
        Client.Dispose();
        await _log.DisposeAsync();
        Directory.Delete(_onFailure, recursive: true);
    }
}
