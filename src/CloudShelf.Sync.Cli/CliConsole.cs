namespace CloudShelf.Sync.Cli;

/// <summary>The CLI's streams: reports on Out, logs and diagnostics on Error, so Out stays machine-readable.</summary>
/// <param name="In">Text input.</param>
/// <param name="InStream">Raw standard input, for <c>--event -</c>.</param>
/// <param name="Out">Reports and responses.</param>
/// <param name="Error">Logs, metrics, progress and errors.</param>
/// <param name="IsInteractive">Whether Error is a terminal a person watches (progress bars, colours).</param>
internal sealed record CliConsole(TextReader In, Stream InStream, TextWriter Out, TextWriter Error, bool IsInteractive)
{
    /// <summary>Whether Out is a terminal (colours, boxed tables); false when it is piped or redirected.</summary>
    public bool OutIsTerminal { get; init; }
}
