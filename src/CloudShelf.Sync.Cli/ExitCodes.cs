namespace CloudShelf.Sync.Cli;

/// <summary>Exit statuses shared by every command.</summary>
internal static class ExitCodes
{
    /// <summary>Success, or healthy.</summary>
    public const int Ok = 0;
    /// <summary>The command ran and found a problem (or the handler threw).</summary>
    public const int Problem = 1;
    /// <summary>The command could not run: bad arguments, bad settings, unreachable database.</summary>
    public const int CannotRun = 2;
}
