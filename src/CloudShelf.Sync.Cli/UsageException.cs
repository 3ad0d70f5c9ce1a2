namespace CloudShelf.Sync.Cli;

/// <summary>
/// A usage error found after parsing (a file that does not exist, a table that is not synced):
/// exit 2 with the message, like a parse error.
/// </summary>
internal sealed class UsageException(string message) : Exception(message);
