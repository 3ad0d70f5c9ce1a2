namespace CloudShelf.Sync.Benchmarks;

/// <summary>Which local implementation of the DynamoDB API a benchmark reads from.</summary>
internal enum LocalDynamo
{
    /// <summary>dynalite (Node, LevelDB in memory): the table API only.</summary>
    Dynalite,

    /// <summary>AWS's DynamoDB Local (Java, in memory): the project's local DynamoDB, Streams included.</summary>
    DynamoDbLocal,
}
