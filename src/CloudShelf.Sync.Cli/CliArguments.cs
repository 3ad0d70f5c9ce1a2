namespace CloudShelf.Sync.Cli;

/// <summary>
/// Positional arguments and <c>--name value</c> / <c>--flag</c> options, checked against what the
/// command accepts so that a typo is an error, not a silently ignored option.
/// </summary>
internal sealed class CliArguments
{
    private readonly Dictionary<string, List<string>> _options = new(StringComparer.Ordinal);
    private readonly HashSet<string> _flags = new(StringComparer.Ordinal);

    private CliArguments(List<string> positional) => Positional = positional;

    public IReadOnlyList<string> Positional { get; }

    public static CliArguments Parse(IEnumerable<string> args, IReadOnlySet<string> valueOptions, IReadOnlySet<string> flags)
    {
        var positional = new List<string>();
        var parsed = new CliArguments(positional);
        using var e = args.GetEnumerator();
        while (e.MoveNext())
        {
            var arg = e.Current;
            if (!arg.StartsWith("--", StringComparison.Ordinal) || arg == "-")
            {
                positional.Add(arg);
                continue;
            }
            var name = arg;
            string? inline = null;
            var eq = arg.IndexOf('=', StringComparison.Ordinal);
            if (eq > 0)
            {
                name = arg[..eq];
                inline = arg[(eq + 1)..];
            }
            if (flags.Contains(name) && inline is null)
            {
                parsed._flags.Add(name);
            }
            else if (valueOptions.Contains(name))
            {
                var value = inline ?? (e.MoveNext() ? e.Current : throw new UsageException($"{name} needs a value."));
                if (!parsed._options.TryGetValue(name, out var values)) parsed._options[name] = values = [];
                values.Add(value);
            }
            else
            {
                throw new UsageException($"Unknown option {name}.");
            }
        }
        return parsed;
    }

    public bool Flag(string name) => _flags.Contains(name);

    public string? Value(string name) => _options.TryGetValue(name, out var v) ? v[^1] : null;

    public IReadOnlyList<string> Values(string name) => _options.TryGetValue(name, out var v) ? v : [];
}
