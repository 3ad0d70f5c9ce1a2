using System.Text.Json;
using CloudShelf.Sync.IntegrationTests.Infrastructure;
using CloudShelf.Sync.Observability;
using Npgsql;

namespace CloudShelf.Sync.IntegrationTests.Postgres;

/// <summary>PostgreSQL's own error texts for refused data quote the data; none of it reaches a log.</summary>
[Collection(SyncServerCollection.Name)]
public sealed class PostgresErrorLoggingTests(SyncServerFixture fixture)
{
    private async Task<PostgresException> RefusedAsync(string sql)
    {
        // Include Error Detail: the worst case, where the server's DETAIL line reaches the client too.
        var connection = new NpgsqlConnectionStringBuilder(await fixture.Server.CreateDatabaseAsync(fixture.TemplateName)) { IncludeErrorDetail = true };
        await using var dataSource = NpgsqlDataSource.Create(connection.ConnectionString);
        await using var command = dataSource.CreateCommand(sql);
        return await Assert.ThrowsAsync<PostgresException>(() => command.ExecuteNonQueryAsync());
    }

    private static string Logged(Exception exception)
    {
        using var output = new StringWriter();
        new JsonLogger(output, new LogContext(), TimeProvider.System).Error(new InvalidOperationException("Batch not applied", exception), "Batch not applied");
        using var line = JsonDocument.Parse(output.ToString());
        return line.RootElement.GetRawText();
    }

    [Fact]
    public async Task A_refused_value_quoted_by_a_data_exception_never_reaches_the_log()
    {
        var error = await RefusedAsync("INSERT INTO cloudshelf.books (book_id, stock, sync_sequence) VALUES ('b1', 'CARD-4111-1111'::integer, 1)");

        Assert.Contains("CARD-4111-1111", error.MessageText, StringComparison.Ordinal);
        var logged = Logged(error);
        Assert.DoesNotContain("CARD-4111", logged, StringComparison.Ordinal);
        Assert.Contains("22P02: data exception", logged, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_duplicate_key_quoted_by_an_integrity_violation_never_reaches_the_log()
    {
        var error = await RefusedAsync("""
            INSERT INTO cloudshelf.users (user_id, email, sync_sequence) VALUES ('u1', 'Zed-Unique-Key', 1), ('u2', 'Zed-Unique-Key', 2)
            """);

        Assert.Contains("Zed-Unique-Key", error.Detail, StringComparison.Ordinal);
        var logged = Logged(error);
        Assert.DoesNotContain("Zed-Unique-Key", logged, StringComparison.Ordinal);
        Assert.Contains("23505: integrity constraint violation (constraint users_email_key, table cloudshelf.users", logged, StringComparison.Ordinal);
    }
}
