namespace CloudShelf.Sync.Demo;

/// <summary>A command line the demo cannot run with; the message names the option at fault.</summary>
internal sealed class UsageException(string message) : Exception(message);
