using Npgsql;

namespace CloudShelf.Sync.ChaosTests.Harness;

/// <summary>
/// Holds a row lock from outside the sync (as a long Phase 2 transaction would), so that the batch
/// writing that row waits inside its transaction: a batch in the middle of its work, on demand.
/// </summary>
public sealed class RowLock : IAsyncDisposable
{
    private readonly NpgsqlConnection _connection;
    private readonly NpgsqlTransaction _transaction;

    private RowLock(NpgsqlConnection connection, NpgsqlTransaction transaction)
    {
        _connection = connection;
        _transaction = transaction;
    }

    /// <summary>Locks the row of <paramref name="key"/> in <paramref name="table"/> (FOR UPDATE) until released.</summary>
    public static async Task<RowLock> TakeAsync(ChaosStack stack, string table, string key)
    {
        ArgumentNullException.ThrowIfNull(stack);
        var mapping = stack.Services.Mapping.ForTable(table)!;
        var connection = new NpgsqlConnection(stack.ConnectionString);
        await connection.OpenAsync();
        var transaction = await connection.BeginTransactionAsync();
        await using var command = new NpgsqlCommand(
            $"SELECT count(*) FROM (SELECT 1 FROM {mapping.Schema}.{mapping.Table} WHERE {mapping.KeyColumn} = $1 FOR UPDATE) locked", connection, transaction);
        command.Parameters.Add(new NpgsqlParameter { Value = key });
        var locked = (long)(await command.ExecuteScalarAsync())!;
        Assert.True(locked == 1, $"{table}/{key} has no row to lock");
        return new RowLock(connection, transaction);
    }

    /// <summary>Backends of the stack's database that wait for a lock (the batch the lock holds up).</summary>
    public static async Task<long> WaitersAsync(ChaosStack stack)
    {
        ArgumentNullException.ThrowIfNull(stack);
        await using var connection = new NpgsqlConnection(stack.Postgres.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = $1 AND wait_event_type = 'Lock'", connection);
        command.Parameters.Add(new NpgsqlParameter { Value = stack.DatabaseName });
        return (long)(await command.ExecuteScalarAsync())!;
    }

    /// <summary>Ends the holding transaction: the waiting batch goes on.</summary>
    public async ValueTask DisposeAsync()
    {
        await _transaction.RollbackAsync();
        await _transaction.DisposeAsync();
        await _connection.DisposeAsync();
    }
}
