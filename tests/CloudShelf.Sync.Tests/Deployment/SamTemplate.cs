using System.Text.Json;
using CloudShelf.Sync.Testing;
using YamlDotNet.RepresentationModel;

namespace CloudShelf.Sync.Tests.Deployment;

/// <summary>
/// template.yaml of the checkout, read with YamlDotNet's representation model: CloudFormation's
/// short forms (<c>!Ref</c>, <c>!Sub</c>, <c>!GetAtt</c>, <c>!If</c>) are tags on plain nodes, so
/// the template is read as written, without resolving anything.
/// </summary>
internal sealed class SamTemplate
{
    public const string FunctionType = "AWS::Serverless::Function";

    private static readonly Lazy<SamTemplate> Checkout = new(() =>
        Parse(File.ReadAllText(Path.Combine(RepositoryRoot.Find(), "template.yaml"))));

    private SamTemplate(YamlMappingNode root) => Root = root;

    public YamlMappingNode Root { get; }

    public static SamTemplate Load() => Checkout.Value;

    public static SamTemplate Parse(string yaml)
    {
        var stream = new YamlStream();
        using (var reader = new StringReader(yaml)) stream.Load(reader);
        return new SamTemplate((YamlMappingNode)stream.Documents.Single().RootNode);
    }

    public YamlMappingNode ResourcesNode => Yaml.Map(Root, "Resources");

    public YamlMappingNode? GlobalFunction => Yaml.Find(Root, "Globals") is YamlMappingNode globals
        ? Yaml.Find(globals, "Function") as YamlMappingNode
        : null;

    /// <summary>The resources of one type, by logical id.</summary>
    public IReadOnlyList<(string Id, YamlMappingNode Resource)> Resources(string type) =>
        ResourcesNode.Children
            .Select(entry => (Id: Yaml.Text(entry.Key), Resource: (YamlMappingNode)entry.Value))
            .Where(entry => Yaml.Find(entry.Resource, "Type") is { } t && Yaml.Text(t) == type)
            .ToList();

    public YamlMappingNode Resource(string id) => Yaml.Map(ResourcesNode, id);

    public static YamlMappingNode Properties(YamlMappingNode resource) => Yaml.Map(resource, "Properties");

    /// <summary>A function's property, or the Globals one when the function does not set it.</summary>
    public YamlNode? FunctionProperty(YamlMappingNode function, string name) =>
        Yaml.Find(Properties(function), name) ?? (GlobalFunction is { } globals ? Yaml.Find(globals, name) : null);

    /// <summary>A function's environment: the Globals variables, overridden by its own (as SAM merges them).</summary>
    public IReadOnlyDictionary<string, YamlNode> Environment(YamlMappingNode function)
    {
        var variables = new Dictionary<string, YamlNode>(StringComparer.Ordinal);
        foreach (var source in new[] { GlobalFunction, Properties(function) })
        {
            if (source is null || Yaml.Find(source, "Environment") is not YamlMappingNode environment) continue;
            if (Yaml.Find(environment, "Variables") is not YamlMappingNode values) continue;
            foreach (var (key, value) in values.Children) variables[Yaml.Text(key)] = value;
        }

        return variables;
    }

    public YamlMappingNode Parameter(string name) => Yaml.Map(Yaml.Map(Root, "Parameters"), name);

    /// <summary>The template's parameters, by name.</summary>
    public IReadOnlyDictionary<string, YamlMappingNode> ParametersByName() =>
        Yaml.Map(Root, "Parameters").Children.ToDictionary(
            entry => Yaml.Text(entry.Key), entry => (YamlMappingNode)entry.Value, StringComparer.Ordinal);

    /// <summary>
    /// The range an integer property can take: a literal, or a reference to a Number parameter
    /// with MinValue and MaxValue. Null when the value is not bounded that way.
    /// </summary>
    public (long Min, long Max)? IntegerRange(YamlNode node)
    {
        if (Yaml.RefTarget(node) is { } parameterName)
        {
            var parameter = Yaml.Map(Yaml.Map(Root, "Parameters"), parameterName);
            return Yaml.Find(parameter, "MinValue") is { } min && Yaml.Find(parameter, "MaxValue") is { } max
                ? (Yaml.Integer(min), Yaml.Integer(max))
                : null;
        }

        return node is YamlScalarNode && Yaml.TagOf(node) is null && long.TryParse(Yaml.Text(node),
            System.Globalization.NumberStyles.AllowLeadingSign, System.Globalization.CultureInfo.InvariantCulture, out var value)
            ? (value, value)
            : null;
    }

    /// <summary>Every metric the alarms and the dashboard refer to.</summary>
    public IReadOnlyList<MetricUse> MetricUses()
    {
        var uses = new List<MetricUse>();
        foreach (var (id, alarm) in Resources("AWS::CloudWatch::Alarm"))
        {
            var properties = Properties(alarm);
            if (Yaml.Find(properties, "MetricName") is { } name)
                uses.Add(AlarmMetric(id, properties, name));
            if (Yaml.Find(properties, "Metrics") is YamlSequenceNode metrics)
            {
                foreach (var query in metrics.Children.Cast<YamlMappingNode>())
                {
                    if (Yaml.Find(query, "MetricStat") is YamlMappingNode stat)
                    {
                        var metric = Yaml.Map(stat, "Metric");
                        uses.Add(AlarmMetric(id, metric, Yaml.Find(metric, "MetricName")!));
                    }
                }
            }
        }

        foreach (var (id, dashboard) in Resources("AWS::CloudWatch::Dashboard"))
            uses.AddRange(DashboardMetrics(id, DashboardBody(dashboard)));
        return uses;
    }

    /// <summary>The dashboard's JSON as written: <c>${...}</c> placeholders stay in the strings.</summary>
    public static JsonDocument DashboardBody(YamlMappingNode dashboard)
    {
        var body = Yaml.Find(Properties(dashboard), "DashboardBody")
                   ?? throw new InvalidOperationException("The dashboard has no DashboardBody.");
        var text = Yaml.Render(body) ?? throw new InvalidOperationException("DashboardBody is neither a string nor a !Sub of one.");
        return JsonDocument.Parse(text);
    }

    private static MetricUse AlarmMetric(string alarm, YamlMappingNode metric, YamlNode name)
    {
        var dimensions = Yaml.Find(metric, "Dimensions") is YamlSequenceNode list
            ? list.Children.Cast<YamlMappingNode>()
                .Select(d => new MetricDimension(Yaml.Text(Yaml.Required(d, "Name")), Yaml.Render(Yaml.Required(d, "Value"))))
                .ToList()
            : [];
        var ns = Yaml.Find(metric, "Namespace") is { } n ? Yaml.Text(n) : "";
        return new MetricUse($"alarm {alarm}", ns, Yaml.Text(name), dimensions);
    }

    private static IEnumerable<MetricUse> DashboardMetrics(string id, JsonDocument body)
    {
        foreach (var widget in body.RootElement.GetProperty("widgets").EnumerateArray())
        {
            if (!widget.TryGetProperty("properties", out var properties)
                || !properties.TryGetProperty("metrics", out var metrics)) continue;
            var title = properties.TryGetProperty("title", out var t) ? t.GetString() : "(untitled)";
            // A metric row is [namespace, name, dimension, value, ..., {options}]; "." repeats the
            // previous row's element at that position. A row that is only {expression} is math.
            var previous = new List<string>();
            foreach (var row in metrics.EnumerateArray())
            {
                var parts = new List<string>();
                foreach (var element in row.EnumerateArray())
                {
                    if (element.ValueKind != JsonValueKind.String) break;
                    var value = element.GetString()!;
                    parts.Add(value == "." && parts.Count < previous.Count ? previous[parts.Count] : value);
                }

                if (parts.Count == 0) continue;
                previous = parts;
                var dimensions = new List<MetricDimension>();
                for (var i = 2; i + 1 < parts.Count; i += 2) dimensions.Add(new MetricDimension(parts[i], parts[i + 1]));
                yield return new MetricUse($"dashboard {id}, widget '{title}'", parts[0], parts.Count > 1 ? parts[1] : "", dimensions);
            }
        }
    }
}

/// <summary>A metric named by an alarm or a dashboard widget.</summary>
internal sealed record MetricUse(string Where, string Namespace, string Name, IReadOnlyList<MetricDimension> Dimensions);

/// <summary>A dimension; <see cref="Value"/> as <see cref="Yaml.Render"/> spells it (<c>${Param}</c> for a reference).</summary>
internal sealed record MetricDimension(string Name, string? Value);

/// <summary>Small helpers over YamlDotNet's nodes.</summary>
internal static class Yaml
{
    public static YamlNode? Find(YamlMappingNode map, string key) =>
        map.Children.TryGetValue(new YamlScalarNode(key), out var value) ? value : null;

    public static YamlMappingNode Map(YamlMappingNode map, string key) =>
        Find(map, key) as YamlMappingNode ?? throw new InvalidOperationException($"'{key}' is missing or not a mapping.");

    public static YamlNode Required(YamlMappingNode map, string key) =>
        Find(map, key) ?? throw new InvalidOperationException($"'{key}' is missing at {map.Start}.");

    public static string Text(YamlNode node) => node is YamlScalarNode { Value: { } value }
        ? value
        : throw new InvalidOperationException($"Expected a scalar at {node.Start}, found {node.NodeType}.");

    public static long Integer(YamlNode node) =>
        long.Parse(Text(node), System.Globalization.NumberStyles.AllowLeadingSign, System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>The node's tag (<c>!Ref</c>, <c>!Sub</c>, ...), or null for a plain node.</summary>
    public static string? TagOf(YamlNode node) => node.Tag.IsEmpty ? null : node.Tag.Value;

    /// <summary>The items of a list, or the one value of a scalar.</summary>
    public static IReadOnlyList<YamlNode> Items(YamlNode node) =>
        node is YamlSequenceNode sequence && TagOf(node) is null ? sequence.Children.ToList() : [node];

    /// <summary>The parameter or resource a <c>!Ref</c> (or <c>Ref:</c>) names, else null.</summary>
    public static string? RefTarget(YamlNode node) => node switch
    {
        YamlScalarNode scalar when TagOf(node) == "!Ref" => scalar.Value,
        YamlMappingNode map when map.Children.Count == 1 && Find(map, "Ref") is YamlScalarNode target => target.Value,
        _ => null,
    };

    /// <summary>The resource a <c>!GetAtt Resource.Attribute</c> (or <c>Fn::GetAtt</c>) names, else null.</summary>
    public static (string Resource, string Attribute)? GetAttTarget(YamlNode node)
    {
        string? dotted = node switch
        {
            YamlScalarNode scalar when TagOf(node) == "!GetAtt" => scalar.Value,
            YamlSequenceNode list when TagOf(node) == "!GetAtt" && list.Children.Count == 2 => $"{Text(list[0])}.{Text(list[1])}",
            YamlMappingNode map when map.Children.Count == 1 && Find(map, "Fn::GetAtt") is YamlSequenceNode pair => $"{Text(pair[0])}.{Text(pair[1])}",
            _ => null,
        };
        var dot = dotted?.IndexOf('.', StringComparison.Ordinal) ?? -1;
        return dot > 0 ? (dotted![..dot], dotted[(dot + 1)..]) : null;
    }

    /// <summary>
    /// A value in <c>!Sub</c> syntax: a plain string as is, <c>!Ref X</c> as <c>${X}</c>,
    /// <c>!GetAtt A.B</c> as <c>${A.B}</c>, <c>!Sub "s"</c> as <c>s</c>; null for anything computed.
    /// </summary>
    public static string? Render(YamlNode node)
    {
        if (RefTarget(node) is { } target) return "${" + target + "}";
        if (GetAttTarget(node) is { } attribute) return "${" + attribute.Resource + "." + attribute.Attribute + "}";
        return node switch
        {
            YamlScalarNode scalar when TagOf(node) is null => scalar.Value,
            YamlScalarNode scalar when TagOf(node) == "!Sub" => scalar.Value,
            YamlSequenceNode list when TagOf(node) == "!Sub" && list.Children.Count > 0 => Render(list[0]),
            YamlMappingNode map when map.Children.Count == 1 && Find(map, "Fn::Sub") is { } sub =>
                sub is YamlSequenceNode parts ? Render(parts[0]) : Render(sub),
            _ => null,
        };
    }

    /// <summary>Every node under <paramref name="node"/>, itself included, depth first.</summary>
    public static IEnumerable<YamlNode> Descendants(YamlNode node)
    {
        yield return node;
        IEnumerable<YamlNode> children = node switch
        {
            YamlMappingNode map => map.Children.Values,
            YamlSequenceNode list => list.Children,
            _ => [],
        };
        foreach (var child in children)
        foreach (var descendant in Descendants(child))
            yield return descendant;
    }
}
