using System.Net;
using System.Net.Http.Headers;
using System.Text;
using CloudShelf.Sync.Testing;
using Npgsql;

namespace CloudShelf.Sync.IntegrationTests.Infrastructure;

/// <summary>Proves the shared PostgreSQL fixture before any real test depends on it.</summary>
public sealed class PostgresFixtureSmokeTests(PostgresFixture fixture) : IClassFixture<PostgresFixture>
{
    private PostgresServer Server => fixture.Server;

    [Fact]
    public async Task Throwaway_cluster_accepts_connections()
    {
        var version = await ScalarAsync<string>(Server.ConnectionString, "SELECT version()");

        Assert.StartsWith("PostgreSQL ", version, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Created_databases_are_isolated_from_each_other()
    {
        var first = await Server.CreateDatabaseAsync();
        var second = await Server.CreateDatabaseAsync();

        await ExecuteAsync(first, "CREATE TABLE only_in_first (id int)");

        Assert.NotEqual(
            await ScalarAsync<string>(first, "SELECT current_database()"),
            await ScalarAsync<string>(second, "SELECT current_database()"));
        Assert.Equal(1L, await ScalarAsync<long>(first, TableCountSql("only_in_first")));
        Assert.Equal(0L, await ScalarAsync<long>(second, TableCountSql("only_in_first")));
    }

    [Fact]
    public async Task Created_database_copies_its_template()
    {
        // Unpooled: CREATE DATABASE ... TEMPLATE fails while any session is open on the template.
        var template = new NpgsqlConnectionStringBuilder(await Server.CreateDatabaseAsync()) { Pooling = false }.ConnectionString;
        await ExecuteAsync(template, "CREATE TABLE from_template (id int)");
        var templateName = new NpgsqlConnectionStringBuilder(template).Database!;

        var copy = await Server.CreateDatabaseAsync(templateName);

        Assert.Equal(1L, await ScalarAsync<long>(copy, TableCountSql("from_template")));
    }

    private static string TableCountSql(string table) =>
        $"SELECT count(*) FROM information_schema.tables WHERE table_name = '{table}'";

    internal static async Task<T> ScalarAsync<T>(string connectionString, string sql)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        return (T)(await command.ExecuteScalarAsync())!;
    }

    internal static async Task ExecuteAsync(string connectionString, string sql)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }
}

/// <summary>
/// Stops and restarts a server of its own, so the outage cannot disturb tests that share a
/// fixture.
/// </summary>
public sealed class PostgresRestartSmokeTests
{
    [Fact]
    public async Task Stopped_cluster_refuses_connections_and_comes_back_with_its_data_after_restart()
    {
        await using var server = await PostgresServer.StartAsync();
        if (!server.IsThrowawayCluster)
        {
            await Assert.ThrowsAsync<InvalidOperationException>(server.StopAsync);
            return;
        }

        // Unpooled, so every check opens a fresh session instead of reusing one the stop killed.
        var database = new NpgsqlConnectionStringBuilder(await server.CreateDatabaseAsync())
        {
            Pooling = false,
        }.ConnectionString;
        await PostgresFixtureSmokeTests.ExecuteAsync(database, "CREATE TABLE survives_restart (id int)");

        await server.StopAsync();
        await Assert.ThrowsAnyAsync<NpgsqlException>(
            () => PostgresFixtureSmokeTests.ExecuteAsync(database, "SELECT 1"));

        await server.RestartAsync();
        Assert.Equal(
            1L,
            await PostgresFixtureSmokeTests.ScalarAsync<long>(
                database,
                "SELECT count(*) FROM information_schema.tables WHERE table_name = 'survives_restart'"));
    }
}

/// <summary>Proves the shared dynalite fixture speaks the DynamoDB JSON protocol.</summary>
public sealed class DynaliteFixtureSmokeTests(DynaliteFixture fixture) : IClassFixture<DynaliteFixture>
{
    [Fact]
    public async Task Dynalite_answers_ListTables()
    {
        using var http = new HttpClient();
        using var request = new HttpRequestMessage(HttpMethod.Post, fixture.Server.Endpoint);
        request.Headers.Add("X-Amz-Target", "DynamoDB_20120810.ListTables");
        // Dynalite rejects unsigned requests but does not verify signatures, so a well-formed
        // dummy SigV4 header (and the date it names) is enough.
        request.Headers.TryAddWithoutValidation(
            "Authorization",
            "AWS4-HMAC-SHA256 Credential=AKID/20150101/us-east-1/dynamodb/aws4_request, SignedHeaders=host, Signature=x");
        request.Headers.Add("X-Amz-Date", "20150101T000000Z");
        request.Content = new StringContent("{}", Encoding.UTF8);
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/x-amz-json-1.0");

        using var response = await http.SendAsync(request);
        var body = await response.Content.ReadAsStringAsync();

        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{(int)response.StatusCode}: {body}");
        Assert.Contains("\"TableNames\"", body, StringComparison.Ordinal);
    }
}
