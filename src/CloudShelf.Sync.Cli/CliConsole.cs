namespace CloudShelf.Sync.Cli;

/// <summary>The CLI's streams: reports on Out, logs and diagnostics on Error, so Out stays machine-readable.</summary>
/// <param name="In">Text input.</param>
/// <param name="InStream">Raw standard input, for <c>--event -</c>.</param>
/// <param name="Out">Reports and responses.</param>
/// <param name="Error">Logs, metrics, progress and errors.</param>
/// <param name="IsInteractive">Whether a person watches Error (progress bars, colours).</param>
internal sealed record CliConsole(TextReader In, Stream InStream, TextWriter Out, TextWriter Error, bool IsInteractive);

/// <summary>Exit statuses shared by every command (DESIGN.md section 9).</summary>
internal static class ExitCodes
{
    /// <summary>Success, or healthy.</summary>
    public const int Ok = 0;
    /// <summary>The command ran and found a problem (or the handler threw).</summary>
    public const int Problem = 1;
    /// <summary>The command could not run: bad arguments, bad settings, unreachable database.</summary>
    public const int CannotRun = 2;
}

/// <summary>A usage error: exit 2 with the message.</summary>
internal sealed class UsageException(string message) : Exception(message);
