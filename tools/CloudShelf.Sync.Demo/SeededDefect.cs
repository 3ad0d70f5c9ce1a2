namespace CloudShelf.Sync.Demo;

/// <summary>A genuine Phase 1 data defect that the catalogue carries on purpose, and what the sync must make of it.</summary>
/// <param name="Table">Target table (books, users, orders).</param>
/// <param name="Keys">The item or items that carry it.</param>
/// <param name="Kind">A short name, e.g. <c>ill-typed price</c>.</param>
/// <param name="Expected">What must happen to it.</param>
/// <param name="QuarantinesOne">True when exactly one of <paramref name="Keys"/> must end in the quarantine (a duplicate e-mail);
/// false when the item must be written with the odd value kept in <c>attributes</c>.</param>
internal sealed record SeededDefect(string Table, IReadOnlyList<string> Keys, string Kind, string Expected, bool QuarantinesOne);
