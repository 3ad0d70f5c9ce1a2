using CloudShelf.Sync.Configuration;
using CloudShelf.Sync.Hosting;
using CloudShelf.Sync.Observability;
using CloudShelf.Sync.Testing;
using Npgsql;

namespace CloudShelf.Sync.ChaosTests.Harness;

/// <summary>
/// The servers every scenario shares: one PostgreSQL cluster with a migrated template database (each
/// scenario gets its own copy), and one DynamoDB Local (each scenario gets its own tables). A scenario
/// that crashes PostgreSQL starts a cluster of its own instead.
/// </summary>
public sealed class ChaosServers : IAsyncLifetime
{
    private PostgresServer? _postgres;
    private DynamoDbLocalServer? _dynamo;

    /// <summary>The shared PostgreSQL server.</summary>
    public PostgresServer Postgres => _postgres ?? throw new InvalidOperationException("The fixture has not been initialised.");

    /// <summary>The shared DynamoDB Local.</summary>
    public DynamoDbLocalServer Dynamo => _dynamo ?? throw new InvalidOperationException("The fixture has not been initialised.");

    /// <summary>The migrated template database on <see cref="Postgres"/>.</summary>
    public string TemplateName { get; private set; } = "";

    /// <inheritdoc />
    public async Task InitializeAsync()
    {
        var postgres = PostgresServer.StartAsync();
        var dynamo = DynamoDbLocalServer.StartAsync();
        _postgres = await postgres;
        _dynamo = await dynamo;
        var connection = await _postgres.CreateDatabaseAsync();
        TemplateName = new NpgsqlConnectionStringBuilder(connection).Database!;
        await MigrateAsync(connection);
        // CREATE DATABASE ... TEMPLATE needs the template free of connections.
        NpgsqlConnection.ClearAllPools();
    }

    /// <summary>Applies the schema migrations to a database, as `cloudshelf-sync migrate` does.</summary>
    public static async Task MigrateAsync(string connection)
    {
        var settings = SyncSettings.Load(new DictionaryEnvironment(new Dictionary<string, string> { [SyncSettings.PostgresConnectionVariable] = connection }));
        await using var services = SyncServices.Create(settings, NullLog.Instance,
            new EmfMetrics(TextWriter.Null, "cloudshelf-sync", TimeProvider.System), TimeProvider.System);
        await services.Migrator.MigrateAsync();
    }

    /// <inheritdoc />
    public async Task DisposeAsync()
    {
        if (_dynamo is not null) await _dynamo.DisposeAsync();
        if (_postgres is not null) await _postgres.DisposeAsync();
    }
}
