using CloudShelf.Sync.Testing;

namespace CloudShelf.Sync.Tests.Deployment;

/// <summary>
/// Properties that SAM accepts but the SAM part of <c>@aws-cdk/aws-service-spec</c> does not list
/// (it is older than SAM). Read from <c>template-schema-allow-list.txt</c> beside this file: one
/// entry a line, <c>&lt;resource type&gt;.&lt;type&gt;.&lt;property&gt;  # why</c>, where type is
/// <c>Properties</c> for the resource's own properties or the schema's name of the nested type.
/// An allowed property is taken as written: its value is not checked further.
/// </summary>
internal sealed class SchemaAllowList
{
    public const string RelativePath = "tests/CloudShelf.Sync.Tests/Deployment/template-schema-allow-list.txt";

    private readonly HashSet<string> _entries;
    private readonly HashSet<string> _used = new(StringComparer.Ordinal);

    public SchemaAllowList(IEnumerable<string> entries) => _entries = new HashSet<string>(entries, StringComparer.Ordinal);

    /// <summary>The entries, in file order.</summary>
    public IReadOnlyCollection<string> Entries => _entries;

    /// <summary>The entries that some property of the validated template matched.</summary>
    public IReadOnlyCollection<string> Used => _used;

    public static SchemaAllowList Load() => Parse(File.ReadAllLines(Path.Combine(RepositoryRoot.Find(), RelativePath)));

    /// <summary>Every entry must say why it is there: a line without a <c>#</c> comment is an error.</summary>
    public static SchemaAllowList Parse(IEnumerable<string> lines)
    {
        var entries = new List<string>();
        foreach (var (line, number) in lines.Select((l, i) => (l.Trim(), i + 1)))
        {
            if (line.Length == 0 || line.StartsWith('#')) continue;
            var hash = line.IndexOf('#', StringComparison.Ordinal);
            if (hash < 0 || line[(hash + 1)..].Trim().Length == 0)
                throw new FormatException($"{RelativePath} line {number}: '{line}' has no comment saying why SAM accepts it.");
            var entry = line[..hash].Trim();
            if (entry.Split('.').Length != 3)
                throw new FormatException($"{RelativePath} line {number}: '{entry}' is not <resource type>.<type>.<property>.");
            entries.Add(entry);
        }
        return new SchemaAllowList(entries);
    }

    public bool Allows(string resourceType, string typeName, string property)
    {
        var entry = $"{resourceType}.{typeName}.{property}";
        if (!_entries.Contains(entry)) return false;
        _used.Add(entry);
        return true;
    }
}
