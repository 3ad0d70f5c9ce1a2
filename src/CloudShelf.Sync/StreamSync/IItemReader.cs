using CloudShelf.Sync.Streams;

namespace CloudShelf.Sync.StreamSync;

/// <summary>
/// Reads an item's current state from its DynamoDB table. Needed when a stream carries no new
/// image (KEYS_ONLY or OLD_IMAGE view types).
/// </summary>
public interface IItemReader
{
    /// <summary>The item as a strongly consistent read returns it, or null when it no longer exists.</summary>
    Task<Dictionary<string, AttributeValue>?> GetItemAsync(
        string table,
        IReadOnlyDictionary<string, AttributeValue> key,
        CancellationToken cancellationToken);
}
