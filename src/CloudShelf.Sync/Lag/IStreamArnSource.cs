using CloudShelf.Sync.Mapping;

namespace CloudShelf.Sync.Lag;

/// <summary>The stream of a synced table.</summary>
public interface IStreamArnSource
{
    /// <summary>The ARN of the stream that sync-lag reads for <paramref name="table"/>.</summary>
    /// <exception cref="InvalidOperationException">The table has no stream.</exception>
    Task<string> StreamArnAsync(TableMapping table, CancellationToken cancellationToken);
}
