using System.Globalization;
using System.Text.Json;
using CloudShelf.Sync.Observability;
using Npgsql;

namespace CloudShelf.Sync.Tests.Observability;

public sealed class ExceptionTextTests
{
    private readonly StringWriter _output = new(CultureInfo.InvariantCulture);

    private JsonElement Logged(Exception exception)
    {
        new JsonLogger(_output, new LogContext(), TimeProvider.System).Error(exception, "Batch not applied");
        return JsonDocument.Parse(_output.ToString()).RootElement;
    }

    private static Exception Thrown(Exception inner)
    {
        try
        {
            throw new InvalidOperationException("The batch failed.", inner);
        }
        catch (InvalidOperationException e)
        {
            return e;
        }
    }

    [Fact]
    public void A_data_exception_is_logged_by_sqlstate_and_names_never_by_the_value_it_quotes()
    {
        var error = new PostgresException("invalid input syntax for type integer: \"4111-1111-1111-1111\"", "ERROR", "ERROR", "22P02",
            schemaName: "cloudshelf", tableName: "books", columnName: "stock", dataTypeName: "integer");

        var line = Logged(Thrown(error));

        var text = line.GetProperty("exception").GetString() + line.GetProperty("exception_stack").GetString();
        Assert.DoesNotContain("4111", text, StringComparison.Ordinal);
        Assert.Contains("22P02: data exception (table cloudshelf.books, column stock, type integer", line.GetProperty("exception_stack").GetString(), StringComparison.Ordinal);
        Assert.Contains("System.InvalidOperationException: The batch failed.", line.GetProperty("exception_stack").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public void An_integrity_violation_is_logged_without_the_key_its_detail_quotes()
    {
        var error = new PostgresException("duplicate key value violates unique constraint \"users_email_key\"", "ERROR", "ERROR", "23505",
            detail: "Key (email)=(Ann.Marie+shop@Example.org) already exists.", schemaName: "cloudshelf", tableName: "users", constraintName: "users_email_key");

        var line = Logged(error);

        var text = line.GetRawText();
        Assert.DoesNotContain("Ann.Marie", text, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("Key (email)", text, StringComparison.Ordinal);
        Assert.Equal("Npgsql.PostgresException: 23505: integrity constraint violation (constraint users_email_key, table cloudshelf.users; message withheld: it may quote values)",
            line.GetProperty("exception").GetString());
    }

    [Fact]
    public void Other_PostgreSQL_errors_keep_their_message()
    {
        var error = new PostgresException("terminating connection due to administrator command", "FATAL", "FATAL", "57P01");

        Assert.Equal("57P01: terminating connection due to administrator command", ExceptionText.Message(error));
    }

    [Fact]
    public void Passwords_in_connection_strings_and_URLs_and_e_mail_addresses_are_masked()
    {
        var error = new InvalidOperationException(
            "cannot use Host=db;Username=sync;Password=hunter2;Database=shelf nor postgres://sync:hunter3@db.internal/shelf for ann@example.com");

        var message = ExceptionText.Message(error);

        Assert.DoesNotContain("hunter2", message, StringComparison.Ordinal);
        Assert.DoesNotContain("hunter3", message, StringComparison.Ordinal);
        Assert.DoesNotContain("ann@", message, StringComparison.Ordinal);
        Assert.Contains("Password=***", message, StringComparison.Ordinal);
        Assert.Contains("postgres://sync:***@", message, StringComparison.Ordinal);
    }

    [Fact]
    public void Every_exception_of_an_aggregate_is_rendered_safely()
    {
        var aggregate = new AggregateException(
            new PostgresException("value too long for type character varying(3): \"secret-value\"", "ERROR", "ERROR", "22001"),
            new TimeoutException("timed out"));

        var text = ExceptionText.Render(aggregate);

        Assert.DoesNotContain("secret-value", text, StringComparison.Ordinal);
        Assert.Contains("22001: data exception", text, StringComparison.Ordinal);
        Assert.Contains("System.TimeoutException: timed out", text, StringComparison.Ordinal);
    }
}
