namespace CloudShelf.Sync.Demo;

/// <summary>One check of <c>cloudshelf-sync cutover-check --json</c>.</summary>
internal sealed record CutoverCheck(string Name, string Value, string Threshold, bool Ok);
