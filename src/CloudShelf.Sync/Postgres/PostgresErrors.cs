using System.Net.Sockets;
using Npgsql;

namespace CloudShelf.Sync.Postgres;

/// <summary>Tells a record's own fault from the database's passing trouble.</summary>
public static class PostgresErrors
{
    /// <summary>
    /// Data exceptions (class 22), integrity violations (23) and program limits (54): the data of
    /// some record is what the database refuses, and trying it again will not help.
    /// </summary>
    public static bool IsRecordFault(PostgresException exception)
    {
        ArgumentNullException.ThrowIfNull(exception);
        return exception.SqlState.StartsWith("22", StringComparison.Ordinal)
               || exception.SqlState.StartsWith("23", StringComparison.Ordinal)
               || exception.SqlState.StartsWith("54", StringComparison.Ordinal);
    }

    /// <summary>
    /// Serialization failures and deadlocks: the transaction lost a race and succeeds when run again
    /// at once, so the writer runs it again before the batch is given back to Lambda.
    /// </summary>
    public static bool IsRetryableConflict(Exception exception) =>
        exception is PostgresException { SqlState: PostgresErrorCodes.SerializationFailure or PostgresErrorCodes.DeadlockDetected };

    /// <summary>
    /// Failures of the database or the way to it (unreachable, failover, read-only replica, rotated
    /// credentials, timeouts): the batch is reported failed so Lambda redelivers it.
    /// </summary>
    public static bool IsTransient(Exception exception) => exception switch
    {
        PostgresException pg => !IsRecordFault(pg),
        NpgsqlException => true,
        SocketException or IOException or TimeoutException => true,
        _ => false,
    };

    /// <summary>
    /// A refusal in words that may be logged: the SQLSTATE, the constraint, the column, the table.
    /// Data exceptions (class 22) quote the refused value in their message (<c>invalid input syntax
    /// for type integer: "..."</c>), so only their condition is named; integrity violations name
    /// their constraint in the message, and their Detail, which quotes the row, is never used.
    /// </summary>
    public static string Describe(PostgresException exception)
    {
        ArgumentNullException.ThrowIfNull(exception);
        var text = exception.SqlState.StartsWith("22", StringComparison.Ordinal)
            ? $"data exception {exception.SqlState} ({Condition(exception.SqlState)})"
            : $"{exception.MessageText} (SQLSTATE {exception.SqlState})";
        if (exception.ConstraintName is not null) text += $" (constraint {exception.ConstraintName})";
        if (exception.ColumnName is not null) text += $" (column {exception.ColumnName})";
        if (exception.TableName is not null) text += $" (table {exception.TableName})";
        return text;
    }

    // The data-exception conditions a row can raise (PostgreSQL's errcodes.txt).
    private static string Condition(string sqlState) => sqlState switch
    {
        "22001" => "string data right truncation",
        "22003" => "numeric value out of range",
        "22004" => "null value not allowed",
        "22007" => "invalid datetime format",
        "22008" => "datetime field overflow",
        "22012" => "division by zero",
        "22021" => "character not in repertoire",
        "22023" => "invalid parameter value",
        "22025" => "invalid escape sequence",
        "22026" => "string data length mismatch",
        "2202E" => "array subscript error",
        "22P02" => "invalid text representation",
        "22P03" => "invalid binary representation",
        "22P05" => "untranslatable character",
        "2203D" => "too many JSON array elements",
        "2203E" => "too many JSON object members",
        "22032" => "invalid JSON text",
        _ => "data exception",
    };
}
