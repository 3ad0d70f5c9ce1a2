using CloudShelf.Sync.Testing;

namespace CloudShelf.Sync.IntegrationTests.Infrastructure;

/// <summary>One DynamoDB Local (tables and streams) shared by the tests of a collection.</summary>
public sealed class DynamoDbLocalFixture : IAsyncLifetime
{
    private DynamoDbLocalServer? _server;

    /// <summary>The running server; available once xunit has initialised the fixture.</summary>
    public DynamoDbLocalServer Server => _server ?? throw new InvalidOperationException("The fixture has not been initialised.");

    /// <inheritdoc />
    public async Task InitializeAsync() => _server = await DynamoDbLocalServer.StartAsync();

    /// <inheritdoc />
    public async Task DisposeAsync()
    {
        if (_server is not null) await _server.DisposeAsync();
    }
}

/// <summary>Tests that read real streams: one DynamoDB Local and one PostgreSQL for the collection.</summary>
[CollectionDefinition(Name)]
public sealed class StreamsCollection : ICollectionFixture<DynamoDbLocalFixture>, ICollectionFixture<SyncServerFixture>
{
    /// <summary>The collection name.</summary>
    public const string Name = "DynamoDB Local";
}
