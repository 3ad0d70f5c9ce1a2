using CloudShelf.Sync.Configuration;
using CloudShelf.Sync.Hosting;
using CloudShelf.Sync.Observability;
using Spectre.Console;

namespace CloudShelf.Sync.Cli;

/// <summary>
/// What every command is given: the streams, the environment, the clock, Spectre.Console views of
/// Out and Error, and <see cref="StartAsync"/> for the settings and services. Exit statuses for
/// failures (bad settings, unreachable database, cancellation) are decided in one place,
/// <see cref="CliApplication.RunAsync"/>, so a command only returns 0 or 1, or throws.
/// </summary>
internal sealed class CliContext
{
    /// <summary>Wider than any report line, so that redirected output is never wrapped.</summary>
    private const int RedirectedWidth = 4096;

    public CliContext(CliConsole console, IEnvironment environment, TimeProvider time)
    {
        Console = console;
        Environment = environment;
        Time = time;
        // https://no-color.org: present and not empty. TERM=dumb cannot take escape codes either.
        var colourAllowed = string.IsNullOrEmpty(environment.Get("NO_COLOR")) && environment.Get("TERM") != "dumb";
        Out = CreateAnsiConsole(console.Out, console.OutIsTerminal, colourAllowed);
        Error = CreateAnsiConsole(console.Error, console.IsInteractive, colourAllowed);
    }

    /// <summary>The raw streams: JSON reports and handler responses go to <c>Console.Out</c> as they are.</summary>
    public CliConsole Console { get; }

    public IEnvironment Environment { get; }

    public TimeProvider Time { get; }

    /// <summary>Stdout for people: tables and markup, with colour only on a terminal.</summary>
    public IAnsiConsole Out { get; }

    /// <summary>Stderr for people: progress bars and error messages, with colour only on a terminal.</summary>
    public IAnsiConsole Error { get; }

    /// <summary>Whether Out is a terminal (boxed tables) rather than a pipe or file (plain columns).</summary>
    public bool OutIsTerminal => Console.OutIsTerminal;

    /// <summary>Whether a person watches Error (progress bars).</summary>
    public bool ErrorIsTerminal => Console.IsInteractive;

    /// <summary>Settings, logs to stderr, metrics to stderr, services: what a command that reaches the stores starts with.</summary>
    public async Task<SyncServices> StartAsync(string functionName, CancellationToken cancellationToken)
    {
        var settings = SyncSettings.Load(Environment);
        var context = new LogContext { Service = settings.ServiceName, FunctionName = functionName, ColdStart = true };
        var log = new JsonLogger(Console.Error, context, Time, settings.LogLevel);
        var metrics = new EmfMetrics(Console.Error, settings.ServiceName, Time);
        return await SyncServices.CreateAsync(settings, log, metrics, Time, cancellationToken: cancellationToken);
    }

    /// <summary>
    /// Escape codes only for a terminal, and never with NO_COLOR: Spectre's own detection looks at
    /// the process's streams and variables, which tests and pipes do not control.
    /// </summary>
    private static IAnsiConsole CreateAnsiConsole(TextWriter writer, bool isTerminal, bool colourAllowed)
    {
        var ansi = isTerminal && colourAllowed;
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Ansi = ansi ? AnsiSupport.Yes : AnsiSupport.No,
            ColorSystem = ansi ? ColorSystemSupport.Standard : ColorSystemSupport.NoColors,
            Interactive = isTerminal ? InteractionSupport.Yes : InteractionSupport.No,
            Out = new AnsiConsoleOutput(writer),
        });
        if (!isTerminal) console.Profile.Width = RedirectedWidth;
        return console;
    }
}
