using System.CommandLine;
using System.CommandLine.Help;
using System.CommandLine.Invocation;

namespace CloudShelf.Sync.Cli;

/// <summary>System.CommandLine's help, followed by what it has no section for (environment, exit statuses).</summary>
internal sealed class HelpWithFooterAction(HelpAction help, string footer) : SynchronousCommandLineAction
{
    public override int Invoke(ParseResult parseResult)
    {
        var code = help.Invoke(parseResult);
        parseResult.InvocationConfiguration.Output.WriteLine(footer);
        return code;
    }
}
