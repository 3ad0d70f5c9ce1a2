using Npgsql;
using NpgsqlTypes;

namespace CloudShelf.Sync.StreamReading;

/// <summary>
/// Stream checkpoints in PostgreSQL (<c>cloudshelf_sync.stream_checkpoints</c>), per consumer, stream
/// and shard. A checkpoint only moves forward (compared as numbers): a slower writer never takes it back.
/// </summary>
public sealed class ShardCheckpointStore(NpgsqlDataSource dataSource, string consumer)
{
    /// <summary>The consumer name of the local event source mapping.</summary>
    public const string LocalMappingConsumer = "local-mapping";

    /// <summary>The consumer's checkpoints of a stream, by shard id.</summary>
    public async Task<IReadOnlyDictionary<string, ShardCheckpoint>> ReadAsync(string streamArn, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            "SELECT shard_id, sequence_number, finished FROM cloudshelf_sync.stream_checkpoints WHERE consumer = $1 AND stream_arn = $2");
        command.Parameters.Add(new NpgsqlParameter { Value = consumer });
        command.Parameters.Add(new NpgsqlParameter { Value = streamArn });
        var result = new Dictionary<string, ShardCheckpoint>(StringComparer.Ordinal);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            var shard = reader.GetString(0);
            result[shard] = new ShardCheckpoint(shard, reader.IsDBNull(1) ? null : reader.GetString(1), reader.GetBoolean(2));
        }
        return result;
    }

    /// <summary>Records progress: the last handled sequence number (null keeps the stored one) and whether the shard is finished.</summary>
    public async Task SaveAsync(string streamArn, string shardId, string? sequenceNumber, bool finished, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("""
            INSERT INTO cloudshelf_sync.stream_checkpoints AS c (consumer, stream_arn, shard_id, sequence_number, finished)
            VALUES ($1, $2, $3, $4, $5)
            ON CONFLICT (consumer, stream_arn, shard_id) DO UPDATE
            SET sequence_number = CASE
                    WHEN c.sequence_number IS NULL
                      OR EXCLUDED.sequence_number::numeric > c.sequence_number::numeric THEN EXCLUDED.sequence_number
                    ELSE c.sequence_number END,
                finished = c.finished OR EXCLUDED.finished,
                updated_at = now()
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = consumer });
        command.Parameters.Add(new NpgsqlParameter { Value = streamArn });
        command.Parameters.Add(new NpgsqlParameter { Value = shardId });
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)sequenceNumber ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
        command.Parameters.Add(new NpgsqlParameter { Value = finished });
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>Forgets the consumer's checkpoints of a stream (to read it again from the start).</summary>
    public async Task ResetAsync(string streamArn, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("DELETE FROM cloudshelf_sync.stream_checkpoints WHERE consumer = $1 AND stream_arn = $2");
        command.Parameters.Add(new NpgsqlParameter { Value = consumer });
        command.Parameters.Add(new NpgsqlParameter { Value = streamArn });
        await command.ExecuteNonQueryAsync(cancellationToken);
    }
}
