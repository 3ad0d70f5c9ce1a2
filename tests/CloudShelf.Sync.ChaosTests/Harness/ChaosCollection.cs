namespace CloudShelf.Sync.ChaosTests.Harness;

/// <summary>The scenarios run one after another on the shared servers.</summary>
[CollectionDefinition(Name)]
public sealed class ChaosCollection : ICollectionFixture<ChaosServers>
{
    /// <summary>The collection name.</summary>
    public const string Name = "Chaos";
}
