using CloudShelf.Sync.Mapping;

namespace CloudShelf.Sync.Drift;

/// <summary>A row as PostgreSQL holds it, with its order lines and the sequence number of the change it holds.</summary>
/// <param name="Key">The primary key.</param>
/// <param name="SyncSequence">The row's <c>sync_sequence</c> as decimal text.</param>
/// <param name="Values">Column values in mapping order, as <see cref="MappedRow.Values"/> holds them.</param>
/// <param name="AttributesJson">The <c>attributes</c> column as text.</param>
/// <param name="Children">Per child mapping, its lines ordered by position.</param>
public sealed record StoredRow(string Key, string SyncSequence, object?[] Values, string AttributesJson, IReadOnlyList<IReadOnlyList<ChildRow>> Children);
