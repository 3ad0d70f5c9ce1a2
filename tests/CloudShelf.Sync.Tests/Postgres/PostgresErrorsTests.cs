using System.Net.Sockets;
using CloudShelf.Sync.Postgres;
using Npgsql;

namespace CloudShelf.Sync.Tests.Postgres;

public sealed class PostgresErrorsTests
{
    private static PostgresException Error(string sqlState) => new("message", "ERROR", "ERROR", sqlState);

    [Theory]
    [InlineData("23505")] // unique_violation: two live users with one email
    [InlineData("23514")] // check_violation
    [InlineData("22003")] // numeric_value_out_of_range
    [InlineData("22P05")] // untranslatable_character
    [InlineData("22007")] // invalid_datetime_format
    [InlineData("54000")] // program_limit_exceeded
    public void Data_and_integrity_errors_are_the_records_fault(string sqlState)
    {
        Assert.True(PostgresErrors.IsRecordFault(Error(sqlState)));
        Assert.False(PostgresErrors.IsTransient(Error(sqlState)));
        Assert.False(PostgresErrors.IsRetryableConflict(Error(sqlState)));
    }

    [Theory]
    [InlineData("40001")] // serialization_failure
    [InlineData("40P01")] // deadlock_detected
    public void Serialization_failures_and_deadlocks_are_retryable_conflicts(string sqlState)
    {
        Assert.True(PostgresErrors.IsRetryableConflict(Error(sqlState)));
        Assert.False(PostgresErrors.IsRecordFault(Error(sqlState)));
        // When the retries run out, the batch is handed back to Lambda.
        Assert.True(PostgresErrors.IsTransient(Error(sqlState)));
    }

    [Theory]
    [InlineData("57P01")] // admin_shutdown: failover
    [InlineData("08006")] // connection_failure
    [InlineData("28P01")] // invalid_password: credentials rotated
    [InlineData("25006")] // read_only_sql_transaction: connected to a replica
    [InlineData("53300")] // too_many_connections
    [InlineData("57014")] // query_canceled: statement timeout
    public void Server_and_connection_failures_are_transient(string sqlState)
    {
        Assert.True(PostgresErrors.IsTransient(Error(sqlState)));
        Assert.False(PostgresErrors.IsRecordFault(Error(sqlState)));
        Assert.False(PostgresErrors.IsRetryableConflict(Error(sqlState)));
    }

    [Fact]
    public void An_npgsql_exception_without_a_sql_state_is_transient()
    {
        var exception = new NpgsqlException("down", new SocketException());

        Assert.Null(exception.SqlState);
        Assert.True(PostgresErrors.IsTransient(exception));
        Assert.False(PostgresErrors.IsRetryableConflict(exception));
    }

    [Fact]
    public void Network_and_timeout_exceptions_are_transient()
    {
        Assert.True(PostgresErrors.IsTransient(new SocketException()));
        Assert.True(PostgresErrors.IsTransient(new IOException("reset")));
        Assert.True(PostgresErrors.IsTransient(new TimeoutException()));
    }

    [Fact]
    public void A_programming_error_is_not_transient()
    {
        Assert.False(PostgresErrors.IsTransient(new InvalidOperationException()));
        Assert.False(PostgresErrors.IsTransient(new ArgumentException("bad")));
        Assert.False(PostgresErrors.IsRetryableConflict(new InvalidOperationException()));
    }

    [Fact]
    public void A_data_exception_is_described_by_its_condition_never_by_its_message_that_quotes_the_value()
    {
        var e = new PostgresException("invalid input syntax for type integer: \"sam@example.com\"", "ERROR", "ERROR", "22P02");

        var text = PostgresErrors.Describe(e);

        Assert.DoesNotContain("sam@example.com", text, StringComparison.Ordinal);
        Assert.Contains("22P02", text, StringComparison.Ordinal);
        Assert.Contains("invalid text representation", text, StringComparison.Ordinal);
    }

    [Fact]
    public void An_integrity_violation_names_its_constraint_and_never_uses_its_detail_that_quotes_the_row()
    {
        var e = new PostgresException("duplicate key value violates unique constraint \"users_email_key\"", "ERROR", "ERROR", "23505",
            detail: "Key (email)=(sam@example.com) already exists.", tableName: "users", constraintName: "users_email_key");

        var text = PostgresErrors.Describe(e);

        Assert.DoesNotContain("sam@example.com", text, StringComparison.Ordinal);
        Assert.Contains("(constraint users_email_key)", text, StringComparison.Ordinal);
        Assert.Contains("23505", text, StringComparison.Ordinal);
    }
}
