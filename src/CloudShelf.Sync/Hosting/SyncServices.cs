using System.Data.Common;
using Amazon;
using Amazon.DynamoDBv2;
using Amazon.Runtime;
using Amazon.SimpleSystemsManagement;
using CloudShelf.Sync.Backfill;
using CloudShelf.Sync.Configuration;
using CloudShelf.Sync.Drift;
using CloudShelf.Sync.Dynamo;
using CloudShelf.Sync.Lag;
using CloudShelf.Sync.Mapping;
using CloudShelf.Sync.Observability;
using CloudShelf.Sync.Postgres;
using CloudShelf.Sync.StreamReading;
using CloudShelf.Sync.Streams;
using CloudShelf.Sync.StreamSync;
using Npgsql;

namespace CloudShelf.Sync.Hosting;

/// <summary>
/// Everything built once per execution environment (or CLI run): the data source, the mapping,
/// the writer and the handlers. Per-invocation work gets these through constructors.
/// </summary>
public sealed class SyncServices : IAsyncDisposable
{
    private readonly Lazy<IAmazonDynamoDB> _dynamoDb;
    private readonly Lazy<DynamoDbStreamsClient> _streams;
    private readonly Lazy<Backfiller> _backfiller;
    private readonly Lazy<DriftDetector> _drift;
    private readonly Lazy<SyncLagMonitor> _syncLag;

    private SyncServices(SyncSettings settings, NpgsqlDataSource dataSource, ILog log, IMetrics metrics, TimeProvider time,
        IItemReader? itemReader, DatabaseCredentials? credentials)
    {
        Settings = settings;
        DataSource = dataSource;
        Log = log;
        Metrics = metrics;
        Time = time;
        Mapping = CloudShelfMapping.Create(settings.Tables);
        // The DynamoDB client is built on first use: only streams without new images need it,
        // and cold start should not pay for it otherwise.
        _dynamoDb = new Lazy<IAmazonDynamoDB>(() => CreateDynamoDbClient(settings));
        var reader = itemReader ?? new LazyItemReader(() => new DynamoDbItemReader(_dynamoDb.Value));
        var writer = new ChangeWriter(dataSource, Mapping, log, time);
        BatchStats = new BatchStatsStore(dataSource, time, log);
        Processor = new StreamBatchProcessor(Mapping, writer, reader, log, metrics, time,
            credentials is null ? null : credentials.InvalidateOn, BatchStats);
        Quarantine = new QuarantineStore(dataSource);
        Replayer = new QuarantineReplayer(Quarantine, Processor);
        StreamSync = new StreamSyncHandler(Processor, Replayer, log);
        Migrator = new SchemaMigrator(dataSource);
        _streams = new Lazy<DynamoDbStreamsClient>(() => DynamoDbStreamsClient.Create(settings, time));
        _backfiller = new Lazy<Backfiller>(() => new Backfiller(_dynamoDb.Value, dataSource, writer, log, time,
            credentials is null ? null : credentials.InvalidateOn));
        _drift = new Lazy<DriftDetector>(() => new DriftDetector(_dynamoDb.Value, dataSource, Mapping,
            new DriftRepairer(dataSource, writer, Mapping), log, metrics, time, new StreamAuditPendingChanges(new LagStore(dataSource))));
        _syncLag = new Lazy<SyncLagMonitor>(() => new SyncLagMonitor(Mapping, new StreamArnSource(settings.Lag, () => _dynamoDb.Value),
            new DynamoDbStreamReader(_streams.Value, time), new ShardCheckpointStore(dataSource, SyncLagMonitor.Consumer),
            new LagStore(dataSource), settings.Lag, log, metrics, time));
    }

    /// <summary>The sync-lag measurement (built on first use, with its Streams client).</summary>
    public SyncLagMonitor SyncLag => _syncLag.Value;

    /// <summary>The DynamoDB Streams reader (built on first use: sync-lag and the local mapping need it).</summary>
    public DynamoDbStreamReader StreamReader => new(_streams.Value, Time);

    /// <summary>Drift detection and repair (built on first use).</summary>
    public DriftDetector Drift => _drift.Value;

    /// <summary>The DynamoDB client (built on first use).</summary>
    public IAmazonDynamoDB DynamoDb => _dynamoDb.Value;

    /// <summary>The backfill of one segment (built on first use).</summary>
    public Backfiller Backfiller => _backfiller.Value;

    /// <summary>The validated settings.</summary>
    public SyncSettings Settings { get; }

    /// <summary>The one PostgreSQL data source (connection pool).</summary>
    public NpgsqlDataSource DataSource { get; }

    /// <summary>The log.</summary>
    public ILog Log { get; }

    /// <summary>The metrics.</summary>
    public IMetrics Metrics { get; }

    /// <summary>The clock.</summary>
    public TimeProvider Time { get; }

    /// <summary>The table mapping of this stage.</summary>
    public SyncMapping Mapping { get; }

    /// <summary>The stream batch processor.</summary>
    public StreamBatchProcessor Processor { get; }

    /// <summary>The <c>stream-sync</c> handler.</summary>
    public StreamSyncHandler StreamSync { get; }

    /// <summary>Per-batch statistics (the error rate).</summary>
    public BatchStatsStore BatchStats { get; }

    /// <summary>Quarantine queries.</summary>
    public QuarantineStore Quarantine { get; }

    /// <summary>Quarantine replay.</summary>
    public QuarantineReplayer Replayer { get; }

    /// <summary>Schema migrations.</summary>
    public SchemaMigrator Migrator { get; }

    /// <summary>
    /// Builds the services. With a connection string it connects to nothing yet; with a database
    /// secret it reads the secret once (the host, port and user come from it; the password is
    /// supplied to every new connection and read again after an authentication failure).
    /// </summary>
    public static async Task<SyncServices> CreateAsync(
        SyncSettings settings, ILog log, IMetrics metrics, TimeProvider time,
        IItemReader? itemReader = null, ISecretSource? secretSource = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(settings);
        if (settings.PostgresConnection is { } connection)
            return Create(settings, new NpgsqlDataSourceBuilder(connection), log, metrics, time, itemReader, null);

        var secret = settings.DatabaseSecret!;
        var credentials = new DatabaseCredentials(secretSource ?? CreateSecretSource(settings), secret.SecretId, SyncSettings.DbSecretIdVariable);
        var current = await credentials.GetAsync(cancellationToken);
        var builder = new NpgsqlDataSourceBuilder();
        var target = builder.ConnectionStringBuilder;
        target.Host = secret.Host ?? current.Host
                      ?? throw new ConfigurationException(SyncSettings.DbHostVariable, "is not set and the database secret has no 'host'.");
        target.Port = current.Port ?? 5432;
        target.Database = secret.Database ?? current.Database ?? "postgres";
        target.Username = current.Username;
        // TLS is on in AWS: verified against the given CA bundle, else required without verification.
        target.SslMode = secret.RootCertificate is null ? SslMode.Require : SslMode.VerifyFull;
        target.RootCertificate = secret.RootCertificate;
        builder.UsePasswordProvider(
            static _ => throw new InvalidOperationException("Connections are opened asynchronously only."),
            async (_, ct) => (await credentials.GetAsync(ct)).Password);
        return Create(settings, builder, log, metrics, time, itemReader, credentials);
    }

    /// <summary>Builds the services over a connection string (tests, the CLI with CLOUDSHELF_PG_CONNECTION).</summary>
    public static SyncServices Create(SyncSettings settings, ILog log, IMetrics metrics, TimeProvider time, IItemReader? itemReader = null)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var connection = settings.PostgresConnection
                         ?? throw new ConfigurationException(SyncSettings.PostgresConnectionVariable, "is required here.");
        return Create(settings, new NpgsqlDataSourceBuilder(connection), log, metrics, time, itemReader, null);
    }

    private static SyncServices Create(SyncSettings settings, NpgsqlDataSourceBuilder builder, ILog log, IMetrics metrics,
        TimeProvider time, IItemReader? itemReader, DatabaseCredentials? credentials)
    {
        builder.ConnectionStringBuilder.ApplicationName ??= "cloudshelf-sync";
        // The same few statements run for every batch: prepared once per connection, they skip
        // parsing and planning. A connection string that sets it (0 behind a transaction-pooling
        // proxy) is respected. Not ConnectionStringBuilder.ContainsKey: that answers whether the
        // keyword exists at all, so it is true for every connection string.
        if (!NamesSetting(settings.PostgresConnection, "Max Auto Prepare"))
            builder.ConnectionStringBuilder.MaxAutoPrepare = DefaultMaxAutoPrepare;
        return new SyncServices(settings, builder.Build(), log, metrics, time, itemReader, credentials);
    }

    /// <summary>Statements prepared per connection unless the connection string says otherwise.</summary>
    internal const int DefaultMaxAutoPrepare = 16;

    /// <summary>
    /// Whether the connection string itself gives the setting, in any of the spellings Npgsql
    /// accepts ("Max Auto Prepare", "MaxAutoPrepare", any case).
    /// </summary>
    internal static bool NamesSetting(string? connectionString, string keyword)
    {
        if (connectionString is null) return false;
        var given = new DbConnectionStringBuilder { ConnectionString = connectionString };
        var wanted = keyword.Replace(" ", "", StringComparison.Ordinal);
        foreach (string key in given.Keys)
        {
            if (string.Equals(key.Replace(" ", "", StringComparison.Ordinal), wanted, StringComparison.OrdinalIgnoreCase))
                return true;
        }
        return false;
    }

    // The clients live as long as the execution environment: the password is read again after a rotation.
#pragma warning disable CA2000
    private static ISecretSource CreateSecretSource(SyncSettings settings)
    {
        if (settings.DatabaseSecret!.UseExtension)
        {
            var http = new HttpClient { BaseAddress = new Uri($"http://localhost:{ExtensionSecretSource.DefaultPort}/") };
            return new ExtensionSecretSource(http, settings.SessionToken
                ?? throw new ConfigurationException("AWS_SESSION_TOKEN", "is needed to authenticate to the Parameters and Secrets extension."));
        }
        return new SsmSecretSource(new AmazonSimpleSystemsManagementClient(RegionEndpoint.GetBySystemName(settings.Region)));
    }
#pragma warning restore CA2000

    private static AmazonDynamoDBClient CreateDynamoDbClient(SyncSettings settings)
    {
        var config = new AmazonDynamoDBConfig();
        if (settings.DynamoDbEndpoint is { } endpoint)
        {
            config.ServiceURL = endpoint.ToString();
            config.AuthenticationRegion = settings.Region;
            // A local DynamoDB (dynalite) checks that a signature is present, not whose it is.
            return settings.HasAwsCredentials
                ? new AmazonDynamoDBClient(config)
                : new AmazonDynamoDBClient(new BasicAWSCredentials("local", "local"), config);
        }
        config.RegionEndpoint = RegionEndpoint.GetBySystemName(settings.Region);
        return new AmazonDynamoDBClient(config);
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        if (_dynamoDb.IsValueCreated) _dynamoDb.Value.Dispose();
        if (_streams.IsValueCreated) _streams.Value.Dispose();
        await DataSource.DisposeAsync();
    }

    private sealed class LazyItemReader(Func<IItemReader> create) : IItemReader
    {
        private readonly Lazy<IItemReader> _reader = new(create);

        public Task<Dictionary<string, AttributeValue>?> GetItemAsync(
            string table, IReadOnlyDictionary<string, AttributeValue> key, CancellationToken cancellationToken) =>
            _reader.Value.GetItemAsync(table, key, cancellationToken);
    }
}
