namespace CloudShelf.Sync.Drift;

/// <summary>One key that differs: never its values, only the names of the attributes that differ.</summary>
/// <param name="Table">The PostgreSQL table.</param>
/// <param name="Key">The item key.</param>
/// <param name="Kind">Missing, extra or changed.</param>
/// <param name="Attributes">Attributes that differ (for a changed key), sorted.</param>
/// <param name="InFlight">The key changed while it was compared, or has a stream change not yet applied: not counted as drift.</param>
/// <param name="Repaired">The repair brought PostgreSQL to DynamoDB's state.</param>
public sealed record DriftFinding(string Table, string Key, DriftKind Kind, IReadOnlyList<string> Attributes, bool InFlight, bool Repaired);
