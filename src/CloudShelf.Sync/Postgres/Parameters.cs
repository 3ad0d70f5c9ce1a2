using Npgsql;
using NpgsqlTypes;

namespace CloudShelf.Sync.Postgres;

/// <summary>Typed array parameters, the way every set-based statement takes its rows.</summary>
internal static class Parameters
{
    public static NpgsqlParameter Array<T>(T[] values, NpgsqlDbType elementType) =>
        new() { Value = values, NpgsqlDbType = NpgsqlDbType.Array | elementType };
}
