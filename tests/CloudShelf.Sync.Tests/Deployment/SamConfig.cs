using System.Text.RegularExpressions;
using CloudShelf.Sync.Testing;

namespace CloudShelf.Sync.Tests.Deployment;

/// <summary>
/// samconfig.toml, read as far as SAM CLI's settings files go: <c>[table.headers]</c> and
/// <c>key = value</c> lines whose value is a string, a bare word (true, 0.1) or an array of
/// strings, possibly over several lines. Not a TOML parser.
/// </summary>
internal sealed partial class SamConfig
{
    private SamConfig(IReadOnlyDictionary<string, IReadOnlyDictionary<string, IReadOnlyList<string>>> sections) =>
        Sections = sections;

    /// <summary>Values by section header (<c>prod.deploy.parameters</c>) and key; a scalar is a one-item list.</summary>
    public IReadOnlyDictionary<string, IReadOnlyDictionary<string, IReadOnlyList<string>>> Sections { get; }

    public static SamConfig Load() => Parse(File.ReadAllText(Path.Combine(RepositoryRoot.Find(), "samconfig.toml")));

    public static SamConfig Parse(string text)
    {
        var sections = new Dictionary<string, IReadOnlyDictionary<string, IReadOnlyList<string>>>(StringComparer.Ordinal);
        var current = new Dictionary<string, IReadOnlyList<string>>(StringComparer.Ordinal);
        sections[""] = current;
        var lines = text.Split('\n');
        for (var i = 0; i < lines.Length; i++)
        {
            var line = lines[i].Trim();
            if (line.Length == 0 || line.StartsWith('#')) continue;
            if (line.StartsWith('[') && line.EndsWith(']'))
            {
                current = new Dictionary<string, IReadOnlyList<string>>(StringComparer.Ordinal);
                sections[line[1..^1].Trim()] = current;
                continue;
            }

            var equals = line.IndexOf('=', StringComparison.Ordinal);
            if (equals <= 0) throw new FormatException($"samconfig.toml line {i + 1} is neither a [section] nor key = value: {line}");
            var key = line[..equals].Trim();
            var value = line[(equals + 1)..].Trim();
            if (value.StartsWith('['))
            {
                // An array ends at the line whose last non-comment character closes it.
                while (!StripComment(value).EndsWith(']') && i + 1 < lines.Length) value += "\n" + lines[++i].Trim();
                current[key] = QuotedString().Matches(value).Select(m => Unescape(m.Groups[1].Value)).ToList();
            }
            else if (value.StartsWith('"'))
            {
                current[key] = [Unescape(QuotedString().Match(value).Groups[1].Value)];
            }
            else
            {
                current[key] = [StripComment(value)];
            }
        }

        return new SamConfig(sections);
    }

    /// <summary>A section's values, or null when the file has no such section.</summary>
    public IReadOnlyDictionary<string, IReadOnlyList<string>>? Section(string header) => Sections.GetValueOrDefault(header);

    /// <summary>The <c>Key=Value</c> pairs of a section's parameter_overrides (an array, or one space-separated string).</summary>
    public static IReadOnlyList<(string Key, string Value)> ParameterOverrides(IReadOnlyDictionary<string, IReadOnlyList<string>> section) =>
        section.TryGetValue("parameter_overrides", out var overrides)
            ? overrides.SelectMany(item => item.Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
                .Select(pair => pair.Split('=', 2))
                .Select(pair => pair.Length == 2
                    ? (pair[0], pair[1])
                    : throw new FormatException($"parameter_overrides item '{pair[0]}' is not Key=Value."))
                .ToList()
            : [];

    private static string StripComment(string value)
    {
        var hash = value.IndexOf('#', StringComparison.Ordinal);
        return (hash < 0 ? value : value[..hash]).Trim();
    }

    private static string Unescape(string value) => value.Replace("\\\"", "\"", StringComparison.Ordinal).Replace("\\\\", "\\", StringComparison.Ordinal);

    [GeneratedRegex("\"((?:[^\"\\\\]|\\\\.)*)\"")]
    private static partial Regex QuotedString();
}

/// <summary>The targets a Makefile defines (rule lines, not variable assignments or recipes).</summary>
internal static partial class MakefileTargets
{
    public static IReadOnlySet<string> Load() => Parse(File.ReadAllText(Path.Combine(RepositoryRoot.Find(), "Makefile")));

    public static IReadOnlySet<string> Parse(string text)
    {
        var targets = new HashSet<string>(StringComparer.Ordinal);
        foreach (var line in text.Split('\n'))
        {
            var rule = RuleLine().Match(line);
            if (!rule.Success) continue;
            foreach (var target in rule.Groups["targets"].Value.Split(' ', StringSplitOptions.RemoveEmptyEntries)) targets.Add(target);
        }

        return targets;
    }

    // "targets: prerequisites" at the start of a line, where the ':' is not part of ':=' or '::='
    // and no '=' comes before it (that would be an assignment whose value holds a ':').
    [GeneratedRegex(@"^(?<targets>[^\s#=:][^=:]*?)\s*::?(?![=:])")]
    private static partial Regex RuleLine();
}
