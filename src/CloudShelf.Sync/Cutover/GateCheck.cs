namespace CloudShelf.Sync.Cutover;

/// <summary>One line of the cut-over gate: what was measured, against what, and whether it passes.</summary>
/// <param name="Name">The check, e.g. <c>lag</c> or <c>counts books</c>.</param>
/// <param name="Value">What was measured, in words and numbers.</param>
/// <param name="Threshold">What GO needs.</param>
/// <param name="Ok">Whether the check passes.</param>
public sealed record GateCheck(string Name, string Value, string Threshold, bool Ok);
