namespace CloudShelf.Sync.ChaosTests.Harness;

/// <summary>A genuine defect of the Phase 1 data that a scenario plants: the quarantine must hold exactly these.</summary>
/// <param name="Table">The PostgreSQL table (books, users, orders).</param>
/// <param name="Key">The item's key.</param>
public sealed record Defect(string Table, string Key)
{
    /// <inheritdoc />
    public override string ToString() => $"{Table}/{Key}";
}
