using CloudShelf.Sync.Testing;

namespace CloudShelf.Sync.IntegrationTests.Infrastructure;

/// <summary>One PostgreSQL server shared by the tests of a class or collection.</summary>
public sealed class PostgresFixture : IAsyncLifetime
{
    private PostgresServer? _server;

    /// <summary>The running server; available once xunit has initialised the fixture.</summary>
    public PostgresServer Server =>
        _server ?? throw new InvalidOperationException("The fixture has not been initialised.");

    /// <inheritdoc />
    public async Task InitializeAsync() => _server = await PostgresServer.StartAsync();

    /// <inheritdoc />
    public async Task DisposeAsync()
    {
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }
    }
}
