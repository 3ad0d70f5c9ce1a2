using CloudShelf.Sync.Configuration;
using CloudShelf.Sync.Hosting;
using CloudShelf.Sync.Observability;
using CloudShelf.Sync.Postgres;
using CloudShelf.Sync.Streams;
using CloudShelf.Sync.StreamSync;
using CloudShelf.Sync.Testing;
using Npgsql;

namespace CloudShelf.Sync.IntegrationTests.Infrastructure;

/// <summary>
/// One PostgreSQL server for the integration tests, with a template database migrated once, so
/// that each test gets its own fresh, migrated database in a few milliseconds.
/// </summary>
public sealed class SyncServerFixture : IAsyncLifetime
{
    private PostgresServer? _server;

    /// <summary>The running server.</summary>
    public PostgresServer Server => _server ?? throw new InvalidOperationException("The fixture has not been initialised.");

    /// <summary>The migrated template database's name.</summary>
    public string TemplateName { get; private set; } = "";

    /// <inheritdoc />
    public async Task InitializeAsync()
    {
        _server = await PostgresServer.StartAsync();
        var connection = await _server.CreateDatabaseAsync();
        TemplateName = new NpgsqlConnectionStringBuilder(connection).Database!;
        await using (var services = SyncDatabase.CreateServices(connection, TextWriter.Null))
            await services.Migrator.MigrateAsync();
        // CREATE DATABASE ... TEMPLATE needs the template free of connections.
        NpgsqlConnection.ClearAllPools();
    }

    /// <inheritdoc />
    public async Task DisposeAsync()
    {
        if (_server is not null) await _server.DisposeAsync();
    }
}

/// <summary>The collection that shares one <see cref="SyncServerFixture"/>.</summary>
[CollectionDefinition(Name)]
public sealed class SyncServerCollection : ICollectionFixture<SyncServerFixture>
{
    /// <summary>The collection name.</summary>
    public const string Name = "PostgreSQL";
}

/// <summary>A fresh migrated database with the sync's services over it, one per test.</summary>
public sealed class SyncDatabase : IAsyncDisposable
{
    private SyncDatabase(string connectionString, SyncServices services, StringWriter output)
    {
        ConnectionString = connectionString;
        Services = services;
        Output = output;
    }

    /// <summary>The database's connection string.</summary>
    public string ConnectionString { get; }

    /// <summary>The sync's services, as the functions build them.</summary>
    public SyncServices Services { get; }

    /// <summary>Everything logged and every EMF document, one JSON object per line.</summary>
    public StringWriter Output { get; }

    /// <summary>Creates the database from the fixture's template.</summary>
    public static async Task<SyncDatabase> CreateAsync(SyncServerFixture fixture, IItemReader? itemReader = null, Dictionary<string, string>? settings = null)
    {
        ArgumentNullException.ThrowIfNull(fixture);
        var connection = await fixture.Server.CreateDatabaseAsync(fixture.TemplateName);
        var output = new StringWriter();
        return new SyncDatabase(connection, CreateServices(connection, output, itemReader, settings), output);
    }

    /// <summary>Services over a database, logging and emitting metrics to <paramref name="output"/>.</summary>
    public static SyncServices CreateServices(string connection, TextWriter output, IItemReader? itemReader = null, Dictionary<string, string>? settings = null)
    {
        var environment = new Dictionary<string, string>(settings ?? []) { [SyncSettings.PostgresConnectionVariable] = connection };
        var synchronized = TextWriter.Synchronized(output);
        return SyncServices.Create(
            SyncSettings.Load(new DictionaryEnvironment(environment)),
            new JsonLogger(synchronized, new LogContext { FunctionName = "stream-sync" }, TimeProvider.System, LogLevel.Debug),
            new EmfMetrics(synchronized, "cloudshelf-sync", TimeProvider.System),
            TimeProvider.System,
            itemReader);
    }

    /// <summary>Runs the stream-sync handler on records, as Lambda would deliver them in one batch.</summary>
    public async Task<StreamsEventResponse> HandleAsync(params DynamoDBStreamRecord[] records)
    {
        var response = await Services.StreamSync.HandleAsync(StreamEvents.Event(records), CancellationToken.None);
        Services.Metrics.Flush();
        return response;
    }

    /// <summary>Processes records and returns every record's outcome.</summary>
    public async Task<BatchResult> ProcessAsync(params DynamoDBStreamRecord[] records)
    {
        var result = await Services.Processor.ProcessAsync(
            records.Select(r => new SourceRecord(r, StreamArn.TableName(r.EventSourceArn))).ToList(), CancellationToken.None);
        Services.Metrics.Flush();
        return result;
    }

    /// <summary>The item stored for a key of a DynamoDB table, rebuilt from its row; null when there is no row.</summary>
    public async Task<Dictionary<string, AttributeValue>?> ItemAsync(string sourceTable, string key)
    {
        var table = Services.Mapping.ForSourceTable(sourceTable)!;
        var items = await new RowReader(Services.DataSource).ReadItemsAsync(table, [key]);
        return items.GetValueOrDefault(key);
    }

    /// <summary>A scalar query.</summary>
    public async Task<T?> ScalarAsync<T>(string sql)
    {
        await using var command = Services.DataSource.CreateCommand(sql);
        var value = await command.ExecuteScalarAsync();
        return value is null or DBNull ? default : (T)value;
    }

    /// <summary>Every row of the synced tables and the bookkeeping, as text, to compare whole states.</summary>
    public async Task<string> SnapshotAsync()
    {
        await using var command = Services.DataSource.CreateCommand("""
            SELECT string_agg(line, E'\n' ORDER BY line) FROM (
              SELECT 'books ' || t::text AS line FROM cloudshelf.books t
              UNION ALL SELECT 'users ' || t::text FROM cloudshelf.users t
              UNION ALL SELECT 'orders ' || t::text FROM cloudshelf.orders t
              UNION ALL SELECT 'order_items ' || t::text FROM cloudshelf.order_items t
              UNION ALL SELECT 'tombstones ' || t::text FROM cloudshelf_sync.tombstones t
              UNION ALL SELECT 'quarantine ' || t::text FROM cloudshelf_sync.quarantine t
            ) s
            """);
        return await command.ExecuteScalarAsync() as string ?? "";
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync() => await Services.DisposeAsync();
}
