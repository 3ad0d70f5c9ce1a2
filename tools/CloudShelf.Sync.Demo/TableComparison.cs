namespace CloudShelf.Sync.Demo;

/// <summary>One synced table compared in full: DynamoDB's items against the items rebuilt from PostgreSQL's rows.</summary>
internal sealed class TableComparison
{
    public required string Table { get; init; }

    public int DynamoItems { get; set; }

    public int PostgresRows { get; set; }

    public int Equal => EqualKeys.Count;

    /// <summary>The keys whose rebuilt row equals the DynamoDB item.</summary>
    public HashSet<string> EqualKeys { get; } = new(StringComparer.Ordinal);

    /// <summary>Differences whose key has an open quarantine record: the quarantined defects.</summary>
    public List<string> Excused { get; } = [];

    /// <summary>Every other difference: each one fails the demo.</summary>
    public int DifferenceCount { get; set; }

    /// <summary>The first few of them, for the report.</summary>
    public List<string> Differences { get; } = [];
}
