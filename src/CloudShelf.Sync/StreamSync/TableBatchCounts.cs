namespace CloudShelf.Sync.StreamSync;

/// <summary>What one batch did to one table: a row of <c>cloudshelf_sync.batch_stats</c>.</summary>
/// <param name="Table">The PostgreSQL table, or the DynamoDB table of records that are not synced.</param>
/// <param name="Applied">Applied or superseded (committed, as <c>RecordsApplied</c> counts them).</param>
/// <param name="Skipped">Not synced on purpose.</param>
/// <param name="Quarantined">Set aside in the quarantine.</param>
/// <param name="Failed">Given back to Lambda for redelivery.</param>
public sealed record TableBatchCounts(string Table, int Applied, int Skipped, int Quarantined, int Failed)
{
    /// <summary>Every record of the table in the batch.</summary>
    public int Records => Applied + Skipped + Quarantined + Failed;
}
