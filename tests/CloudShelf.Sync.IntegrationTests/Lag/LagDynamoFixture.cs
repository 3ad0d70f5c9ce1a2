using CloudShelf.Sync.Testing;

namespace CloudShelf.Sync.IntegrationTests.Lag;

/// <summary>One DynamoDB Local (tables and streams) for a test class; each test creates its own tables.</summary>
public sealed class LagDynamoFixture : IAsyncLifetime
{
    private DynamoDbLocalServer? _server;

    /// <summary>The running server.</summary>
    public DynamoDbLocalServer Server => _server ?? throw new InvalidOperationException("The fixture has not been initialised.");

    /// <inheritdoc />
    public async Task InitializeAsync() => _server = await DynamoDbLocalServer.StartAsync();

    /// <inheritdoc />
    public async Task DisposeAsync()
    {
        if (_server is not null) await _server.DisposeAsync();
    }
}
