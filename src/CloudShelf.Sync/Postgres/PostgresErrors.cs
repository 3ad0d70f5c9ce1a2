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
    /// at once, so it is retried in-process before the batch is given back to Lambda.
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
}
