namespace CloudShelf.Sync.Backfill;

/// <summary>Where one segment stands.</summary>
/// <param name="SourceTable">The DynamoDB table.</param>
/// <param name="Segment">The segment.</param>
/// <param name="TotalSegments">Of how many.</param>
/// <param name="ItemsScanned">Items read so far.</param>
/// <param name="ItemsWritten">Items that became rows (the others were already there, newer, or deleted).</param>
/// <param name="Done">The segment has been scanned to its end.</param>
public sealed record SegmentProgress(string SourceTable, int Segment, int TotalSegments, long ItemsScanned, long ItemsWritten, bool Done);
