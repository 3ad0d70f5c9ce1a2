namespace CloudShelf.Sync.Demo;

/// <summary>An open quarantine record as <c>cloudshelf-sync quarantine list --json</c> prints it.</summary>
internal sealed record QuarantineEntry(long Id, string Table, string Key, string EventName, string Reason, string? ErrorCode);
