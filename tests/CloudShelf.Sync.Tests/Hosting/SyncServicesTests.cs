using CloudShelf.Sync.Configuration;
using CloudShelf.Sync.Hosting;
using CloudShelf.Sync.Observability;
using Npgsql;

namespace CloudShelf.Sync.Tests.Hosting;

public sealed class SyncServicesTests
{
    private static async Task<int> MaxAutoPrepareAsync(string connection)
    {
        var settings = SyncSettings.Load(new DictionaryEnvironment(new Dictionary<string, string>(StringComparer.Ordinal)
        {
            [SyncSettings.PostgresConnectionVariable] = connection,
        }));
        // Building the services connects to nothing.
        await using var services = SyncServices.Create(settings, NullLog.Instance, new EmfMetrics(TextWriter.Null, "test", TimeProvider.System), TimeProvider.System);
        return new NpgsqlConnectionStringBuilder(services.DataSource.ConnectionString).MaxAutoPrepare;
    }

    [Fact]
    public async Task The_per_batch_statements_are_prepared_when_the_connection_string_does_not_say_otherwise()
    {
        // Protection: the check whether the connection string set it was always true, so nothing was ever prepared.
        Assert.Equal(SyncServices.DefaultMaxAutoPrepare, await MaxAutoPrepareAsync("Host=localhost;Username=sync;Database=cloudshelf"));
    }

    [Theory]
    [InlineData("Host=localhost;Username=sync;Max Auto Prepare=0", 0)]
    [InlineData("Host=localhost;Username=sync;maxautoprepare=4", 4)]
    [InlineData("Host=localhost;Username=sync;MAX AUTO PREPARE=32", 32)]
    public async Task A_connection_string_that_sets_auto_prepare_is_respected(string connection, int expected)
    {
        Assert.Equal(expected, await MaxAutoPrepareAsync(connection));
    }
}
