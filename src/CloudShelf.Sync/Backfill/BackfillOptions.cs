namespace CloudShelf.Sync.Backfill;

/// <summary>How a backfill runs.</summary>
/// <param name="PageSize">Items per Scan page (DynamoDB's Limit); one page is one transaction.</param>
/// <param name="ReadUnitsPerSecond">Read capacity the whole backfill may consume per second; null for no limit.</param>
public sealed record BackfillOptions(int PageSize = 500, double? ReadUnitsPerSecond = null);
