using Amazon;
using Amazon.DynamoDBv2;
using Amazon.Runtime;
using CloudShelf.Sync.Configuration;
using CloudShelf.Sync.Dynamo;
using CloudShelf.Sync.Mapping;
using CloudShelf.Sync.Observability;
using CloudShelf.Sync.Postgres;
using CloudShelf.Sync.Streams;
using CloudShelf.Sync.Sync;
using Npgsql;

namespace CloudShelf.Sync.Hosting;

/// <summary>
/// Everything built once per execution environment (or CLI run): the data source, the mapping,
/// the writer and the handlers. Per-invocation work gets these through constructors.
/// </summary>
public sealed class SyncServices : IAsyncDisposable
{
    private readonly Lazy<IAmazonDynamoDB> _dynamoDb;

    private SyncServices(SyncSettings settings, NpgsqlDataSource dataSource, ILog log, IMetrics metrics, TimeProvider time, IItemReader? itemReader)
    {
        Settings = settings;
        DataSource = dataSource;
        Log = log;
        Metrics = metrics;
        Mapping = CloudShelfMapping.Create(settings.Tables);
        // The DynamoDB client is built on first use: only streams without new images need it,
        // and cold start should not pay for it otherwise.
        _dynamoDb = new Lazy<IAmazonDynamoDB>(() => CreateDynamoDbClient(settings));
        var reader = itemReader ?? new LazyItemReader(() => new DynamoDbItemReader(_dynamoDb.Value));
        Processor = new StreamBatchProcessor(Mapping, new ChangeWriter(dataSource, Mapping), reader, log, metrics, time);
        StreamSync = new StreamSyncHandler(Processor);
        Quarantine = new QuarantineStore(dataSource);
        Replayer = new QuarantineReplayer(Quarantine, Processor);
        Migrator = new SchemaMigrator(dataSource);
    }

    /// <summary>The validated settings.</summary>
    public SyncSettings Settings { get; }

    /// <summary>The one PostgreSQL data source (connection pool).</summary>
    public NpgsqlDataSource DataSource { get; }

    /// <summary>The log.</summary>
    public ILog Log { get; }

    /// <summary>The metrics.</summary>
    public IMetrics Metrics { get; }

    /// <summary>The table mapping of this stage.</summary>
    public SyncMapping Mapping { get; }

    /// <summary>The stream batch processor.</summary>
    public StreamBatchProcessor Processor { get; }

    /// <summary>The <c>stream-sync</c> handler.</summary>
    public StreamSyncHandler StreamSync { get; }

    /// <summary>Quarantine queries.</summary>
    public QuarantineStore Quarantine { get; }

    /// <summary>Quarantine replay.</summary>
    public QuarantineReplayer Replayer { get; }

    /// <summary>Schema migrations.</summary>
    public SchemaMigrator Migrator { get; }

    /// <summary>Builds the services. Connects to nothing yet.</summary>
    public static SyncServices Create(SyncSettings settings, ILog log, IMetrics metrics, TimeProvider time, IItemReader? itemReader = null)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var builder = new NpgsqlDataSourceBuilder(settings.PostgresConnection);
        builder.ConnectionStringBuilder.ApplicationName ??= "cloudshelf-sync";
        // The same few statements run for every batch: prepared once per connection, they skip
        // parsing and planning. A connection string that sets it (0 behind a transaction-pooling
        // proxy) is respected.
        if (!builder.ConnectionStringBuilder.ContainsKey("Max Auto Prepare"))
            builder.ConnectionStringBuilder.MaxAutoPrepare = 16;
        return new SyncServices(settings, builder.Build(), log, metrics, time, itemReader);
    }

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
