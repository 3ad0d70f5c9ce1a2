namespace CloudShelf.Sync.Drift;

/// <summary>How a key differs between DynamoDB and PostgreSQL.</summary>
public enum DriftKind
{
    /// <summary>The item is in DynamoDB only.</summary>
    Missing,
    /// <summary>The row is in PostgreSQL only.</summary>
    Extra,
    /// <summary>Both hold the key, with different content.</summary>
    Changed,
}
