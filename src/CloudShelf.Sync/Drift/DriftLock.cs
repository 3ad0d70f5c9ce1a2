using Npgsql;

namespace CloudShelf.Sync.Drift;

/// <summary>
/// A PostgreSQL session advisory lock on a connection of its own, held until disposed: how two drift runs
/// on the same pass (a schedule overlapping an operator's run) share its segments instead of both
/// working them. A run that dies loses its connection and so its locks; nothing is left to expire.
/// </summary>
internal sealed class DriftLock : IAsyncDisposable
{
    private readonly NpgsqlConnection _connection;
    private readonly string _name;

    private DriftLock(NpgsqlConnection connection, string name)
    {
        _connection = connection;
        _name = name;
    }

    /// <summary>The lock of one segment of a pass.</summary>
    public static string Segment(long passId, int segment) => $"cloudshelf_sync.drift_segment:{passId}:{segment}";

    /// <summary>The lock of a pass's search for extra rows and its completion.</summary>
    public static string Extras(long passId) => $"cloudshelf_sync.drift_extras:{passId}";

    /// <summary>Takes the lock if no other session holds it; null when one does.</summary>
    public static async Task<DriftLock?> TryTakeAsync(NpgsqlDataSource dataSource, string name, CancellationToken cancellationToken)
    {
        var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        try
        {
            await using var command = new NpgsqlCommand("SELECT pg_try_advisory_lock(hashtextextended($1, 0))", connection);
            command.Parameters.Add(new NpgsqlParameter { Value = name });
            if ((bool)(await command.ExecuteScalarAsync(cancellationToken))!) return new DriftLock(connection, name);
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
        await connection.DisposeAsync();
        return null;
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        try
        {
            await using var command = new NpgsqlCommand("SELECT pg_advisory_unlock(hashtextextended($1, 0))", _connection);
            command.Parameters.Add(new NpgsqlParameter { Value = _name });
            await command.ExecuteScalarAsync(CancellationToken.None);
        }
        catch (NpgsqlException)
        {
            // A broken connection ends its session, and the session's end releases the lock.
        }
        finally
        {
            await _connection.DisposeAsync();
        }
    }
}
