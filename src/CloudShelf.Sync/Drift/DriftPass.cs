using CloudShelf.Sync.Streams;

namespace CloudShelf.Sync.Drift;

/// <summary>Where a table's open full-mode pass stands.</summary>
/// <param name="PassId">The pass.</param>
/// <param name="TotalSegments">Its scan segments.</param>
/// <param name="Segments">Per segment: where its scan continues (null before the first page) and whether it is done.</param>
/// <param name="ExtrasAfterKey">The last key whose row was checked for being extra ("" before the first).</param>
/// <param name="ExtrasDone">Every row has been checked for being extra.</param>
internal sealed record DriftPass(
    long PassId,
    int TotalSegments,
    IReadOnlyDictionary<int, (Dictionary<string, AttributeValue>? StartKey, bool Done)> Segments,
    string ExtrasAfterKey,
    bool ExtrasDone);
