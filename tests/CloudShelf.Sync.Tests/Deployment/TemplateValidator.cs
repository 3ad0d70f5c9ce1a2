using System.Text.Json;
using System.Text.RegularExpressions;
using YamlDotNet.RepresentationModel;

namespace CloudShelf.Sync.Tests.Deployment;

/// <summary>
/// Checks a template against AWS's published resource schemas (<see cref="ResourceSchemas"/>):
/// resource types that exist, properties that exist at every depth, required properties present,
/// values of the right shape (object, list, map, scalar), and every <c>Ref</c>, <c>GetAtt</c>,
/// <c>Sub</c> placeholder, <c>If</c> condition and <c>DependsOn</c> naming something that exists:
/// a parameter, a resource, a pseudo parameter, or a resource SAM generates. A value computed by an
/// intrinsic function is not shape-checked (only the branches of an <c>If</c> are), since its
/// result is known only at deploy time.
/// </summary>
internal sealed partial class TemplateValidator
{
    private static readonly HashSet<string> PseudoParameters = new(StringComparer.Ordinal)
    {
        "AWS::AccountId", "AWS::NotificationARNs", "AWS::NoValue", "AWS::Partition", "AWS::Region",
        "AWS::StackId", "AWS::StackName", "AWS::URLSuffix",
    };

    private static readonly HashSet<string> ResourceAttributes = new(StringComparer.Ordinal)
    {
        "Type", "Properties", "Metadata", "DependsOn", "Condition", "DeletionPolicy", "UpdateReplacePolicy",
        "UpdatePolicy", "CreationPolicy",
    };

    /// <summary>
    /// What SAM turns its resources into: GetAtt on a SAM resource asks the generated one, and
    /// SAM's own specification lists no attributes.
    /// </summary>
    private static readonly Dictionary<string, string> SamTranslations = new(StringComparer.Ordinal)
    {
        ["AWS::Serverless::Function"] = "AWS::Lambda::Function",
        ["AWS::Serverless::StateMachine"] = "AWS::StepFunctions::StateMachine",
        ["AWS::Serverless::Api"] = "AWS::ApiGateway::RestApi",
        ["AWS::Serverless::HttpApi"] = "AWS::ApiGatewayV2::Api",
        ["AWS::Serverless::SimpleTable"] = "AWS::DynamoDB::Table",
        ["AWS::Serverless::LayerVersion"] = "AWS::Lambda::LayerVersion",
        ["AWS::Serverless::Application"] = "AWS::CloudFormation::Stack",
    };

    /// <summary>
    /// The resources SAM generates for an event source, named <c>&lt;resource&gt;&lt;event&gt;</c>
    /// (SAM's documented "generated CloudFormation resources"); a Ref or GetAtt may name them.
    /// </summary>
    private static readonly Dictionary<string, string> GeneratedForEvent = new(StringComparer.Ordinal)
    {
        ["DynamoDB"] = "AWS::Lambda::EventSourceMapping",
        ["Kinesis"] = "AWS::Lambda::EventSourceMapping",
        ["SQS"] = "AWS::Lambda::EventSourceMapping",
        ["MSK"] = "AWS::Lambda::EventSourceMapping",
        ["MQ"] = "AWS::Lambda::EventSourceMapping",
        ["SelfManagedKafka"] = "AWS::Lambda::EventSourceMapping",
        ["DocumentDB"] = "AWS::Lambda::EventSourceMapping",
        ["Schedule"] = "AWS::Events::Rule",
        ["CloudWatchEvent"] = "AWS::Events::Rule",
        ["EventBridgeRule"] = "AWS::Events::Rule",
        ["ScheduleV2"] = "AWS::Scheduler::Schedule",
        ["SNS"] = "AWS::SNS::Subscription",
        ["CloudWatchLogs"] = "AWS::Logs::SubscriptionFilter",
        ["IoTRule"] = "AWS::IoT::TopicRule",
    };

    private readonly SamTemplate _template;
    private readonly ResourceSchemas _schemas;
    private readonly SchemaAllowList _allowList;
    private readonly Dictionary<string, string> _resourceTypes = new(StringComparer.Ordinal);
    private readonly HashSet<string> _parameters = new(StringComparer.Ordinal);
    private readonly HashSet<string> _conditions = new(StringComparer.Ordinal);

    public TemplateValidator(SamTemplate template, ResourceSchemas schemas, SchemaAllowList allowList)
    {
        _template = template;
        _schemas = schemas;
        _allowList = allowList;
        if (Yaml.Find(template.Root, "Parameters") is YamlMappingNode parameters)
            _parameters.UnionWith(parameters.Children.Keys.Select(Yaml.Text));
        if (Yaml.Find(template.Root, "Conditions") is YamlMappingNode conditions)
            _conditions.UnionWith(conditions.Children.Keys.Select(Yaml.Text));
        foreach (var (key, value) in template.ResourcesNode.Children)
            if (value is YamlMappingNode resource && Yaml.Find(resource, "Type") is YamlScalarNode { Value: { } type })
                _resourceTypes[Yaml.Text(key)] = type;
        AddSamGeneratedResources();
    }

    /// <summary>Every problem found, each naming where it is (path and line) and what is wrong.</summary>
    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        var globals = _template.GlobalFunction;
        if (globals is not null && _schemas.TryGetResource(SamTemplate.FunctionType, out var function))
            CheckObject(errors, "Globals.Function", globals, SamTemplate.FunctionType, "Properties", function.GetProperty("properties"), requiredFrom: null);

        foreach (var (key, value) in _template.ResourcesNode.Children)
            CheckResource(errors, Yaml.Text(key), value);

        foreach (var section in new[] { "Conditions", "Resources", "Outputs", "Globals" })
        {
            if (Yaml.Find(_template.Root, section) is not { } node) continue;
            foreach (var descendant in Yaml.Descendants(node)) CheckReferences(errors, descendant);
        }
        return errors;
    }

    private void CheckResource(List<string> errors, string id, YamlNode node)
    {
        var path = $"Resources.{id}";
        if (node is not YamlMappingNode resource)
        {
            errors.Add(Where(path, node, "a resource must be a mapping"));
            return;
        }
        foreach (var key in resource.Children.Keys.Select(Yaml.Text).Where(k => !ResourceAttributes.Contains(k)))
            errors.Add(Where($"{path}.{key}", resource, $"'{key}' is not a resource attribute ({string.Join(", ", ResourceAttributes)})"));
        if (!_resourceTypes.TryGetValue(id, out var type))
        {
            errors.Add(Where(path, resource, "the resource has no Type"));
            return;
        }
        if (type.StartsWith("Custom::", StringComparison.Ordinal) || type == "AWS::CloudFormation::CustomResource") return;
        if (!_schemas.TryGetResource(type, out var schema))
        {
            errors.Add(Where($"{path}.Type", resource, $"'{type}' is not a resource type in the schemas"));
            return;
        }
        var properties = Yaml.Find(resource, "Properties") ?? new YamlMappingNode();
        var requiredFrom = type == SamTemplate.FunctionType ? _template.GlobalFunction : null;
        CheckObject(errors, $"{path}.Properties", properties, type, "Properties", schema.GetProperty("properties"), requiredFrom);

        if (Yaml.Find(resource, "DependsOn") is { } dependsOn)
        {
            foreach (var target in Yaml.Items(dependsOn).OfType<YamlScalarNode>())
                if (target.Value is { } name && !_template.ResourcesNode.Children.ContainsKey(new YamlScalarNode(name)))
                    errors.Add(Where($"{path}.DependsOn", target, $"DependsOn names '{name}', which is not a resource of the template"));
        }
        if (Yaml.Find(resource, "Condition") is YamlScalarNode { Value: { } condition } conditionNode && !_conditions.Contains(condition))
            errors.Add(Where($"{path}.Condition", conditionNode, $"condition '{condition}' is not defined under Conditions"));
    }

    /// <param name="requiredFrom">Where else a required property may be set (SAM's Globals for a function).</param>
    private void CheckObject(List<string> errors, string path, YamlNode node, string resourceType, string typeName, JsonElement properties,
        YamlMappingNode? requiredFrom)
    {
        if (IsIntrinsic(node))
        {
            CheckIfBranches(node, branch => CheckObject(errors, path, branch, resourceType, typeName, properties, requiredFrom));
            return;
        }
        if (node is not YamlMappingNode map)
        {
            errors.Add(Where(path, node, $"expected an object ({resourceType} {typeName}), found {Describe(node)}"));
            return;
        }
        // A SAM event source's Properties depend on its Type: DynamoDB takes DynamoDBEvent's.
        var sourceType = Yaml.Find(map, "Type") is YamlScalarNode { Value: { } t } typeNode && Yaml.TagOf(typeNode) is null ? t : null;
        foreach (var (key, value) in map.Children)
        {
            var name = Yaml.Text(key);
            if (_allowList.Allows(resourceType, typeName, name)) continue;
            if (!properties.TryGetProperty(name, out var property))
            {
                var known = properties.EnumerateObject().Select(p => p.Name).ToList();
                var hint = Closest(name, known) is { } close ? $"; did you mean '{close}'?" : "";
                errors.Add(Where($"{path}.{name}", key, $"'{name}' is not a property of {resourceType} {typeName}{hint}"));
                continue;
            }
            CheckValue(errors, $"{path}.{name}", value, resourceType, property.GetProperty("type"), sourceType);
        }
        foreach (var property in properties.EnumerateObject())
        {
            if (!property.Value.TryGetProperty("required", out var required) || required.ValueKind != JsonValueKind.True) continue;
            var present = map.Children.ContainsKey(new YamlScalarNode(property.Name))
                          || (requiredFrom is not null && requiredFrom.Children.ContainsKey(new YamlScalarNode(property.Name)));
            if (!present) errors.Add(Where(path, map, $"{resourceType} {typeName} requires '{property.Name}', which is missing"));
        }
    }

    private void CheckValue(List<string> errors, string path, YamlNode node, string resourceType, JsonElement type, string? sourceType)
    {
        if (IsIntrinsic(node))
        {
            CheckIfBranches(node, branch => CheckValue(errors, path, branch, resourceType, type, sourceType));
            return;
        }
        switch (type.GetProperty("type").GetString())
        {
            case "string" or "integer" or "number" or "boolean" or "date-time":
                if (node is not YamlScalarNode)
                    errors.Add(Where(path, node, $"expected a {type.GetProperty("type").GetString()}, found {Describe(node)}"));
                break;
            case "array":
                if (node is YamlSequenceNode list)
                {
                    for (var i = 0; i < list.Children.Count; i++)
                        CheckValue(errors, $"{path}[{i}]", list.Children[i], resourceType, type.GetProperty("element"), null);
                }
                else errors.Add(Where(path, node, $"expected a list, found {Describe(node)}"));
                break;
            case "map":
                if (node is YamlMappingNode map)
                {
                    foreach (var (key, value) in map.Children)
                        CheckValue(errors, $"{path}.{Yaml.Text(key)}", value, resourceType, type.GetProperty("element"), null);
                }
                else errors.Add(Where(path, node, $"expected a mapping, found {Describe(node)}"));
                break;
            case "ref":
                var definition = _schemas.Referenced(type);
                CheckObject(errors, path, node, resourceType, definition.GetProperty("name").GetString()!, definition.GetProperty("properties"), null);
                break;
            case "union":
                CheckUnion(errors, path, node, resourceType, type, sourceType);
                break;
            // "json" (any document, e.g. a policy) and "tag" (Key/Value lists in several spellings) take anything.
        }
    }

    /// <summary>
    /// A value that may take several shapes is right when one of them fits. When none does, the
    /// errors of the closest (fewest errors) are reported; for a SAM event source, those of the
    /// shape its Type names.
    /// </summary>
    private void CheckUnion(List<string> errors, string path, YamlNode node, string resourceType, JsonElement union, string? sourceType)
    {
        var alternatives = union.GetProperty("types").EnumerateArray().ToList();
        if (sourceType is not null)
        {
            var named = alternatives.FirstOrDefault(a => a.GetProperty("type").GetString() == "ref"
                                                         && _schemas.Referenced(a).GetProperty("name").GetString() == sourceType + "Event");
            if (named.ValueKind != JsonValueKind.Undefined)
            {
                CheckValue(errors, path, node, resourceType, named, null);
                return;
            }
        }
        List<string>? best = null;
        foreach (var alternative in alternatives)
        {
            var attempt = new List<string>();
            CheckValue(attempt, path, node, resourceType, alternative, null);
            if (attempt.Count == 0) return;
            if (best is null || attempt.Count < best.Count) best = attempt;
        }
        if (sourceType is not null)
            errors.Add(Where(path, node, $"event source Type '{sourceType}' has no properties schema in {resourceType}; the closest shape reports:"));
        errors.AddRange(best ?? []);
    }

    private void CheckReferences(List<string> errors, YamlNode node)
    {
        if (Yaml.RefTarget(node) is { } target)
        {
            if (!IsReferenceable(target))
                errors.Add(Where("Ref", node, $"Ref '{target}' names no parameter, resource or pseudo parameter{Suggest(target, ReferenceableNames())}"));
            return;
        }
        if (Yaml.GetAttTarget(node) is { } getAtt)
        {
            CheckGetAtt(errors, node, getAtt.Resource, getAtt.Attribute, "GetAtt");
            return;
        }
        if (SubParts(node) is { } sub)
        {
            foreach (Match match in SubPlaceholder().Matches(sub.Text))
            {
                var name = match.Groups[1].Value.Trim();
                if (name.StartsWith('!') || sub.Variables.Contains(name)) continue;
                var dot = name.IndexOf('.', StringComparison.Ordinal);
                if (dot > 0 && !PseudoParameters.Contains(name)) CheckGetAtt(errors, node, name[..dot], name[(dot + 1)..], "Sub ${" + name + "}");
                else if (!IsReferenceable(name))
                    errors.Add(Where("Sub", node, $"Sub ${{{name}}} names no parameter, resource or pseudo parameter{Suggest(name, ReferenceableNames())}"));
            }
            return;
        }
        if (IfCondition(node) is { } condition && !_conditions.Contains(condition.Value!))
            errors.Add(Where("If", condition, $"If names condition '{condition.Value}', which is not defined under Conditions"));
    }

    private void CheckGetAtt(List<string> errors, YamlNode node, string resource, string attribute, string what)
    {
        if (!_resourceTypes.TryGetValue(resource, out var type))
        {
            errors.Add(Where(what, node, $"{what}: '{resource}' is not a resource of the template{Suggest(resource, _resourceTypes.Keys)}"));
            return;
        }
        var target = SamTranslations.GetValueOrDefault(type, type);
        if (target == "AWS::CloudFormation::Stack" && attribute.StartsWith("Outputs.", StringComparison.Ordinal)) return;
        if (!_schemas.TryGetResource(target, out _)) return; // reported as an unknown type already
        var attributes = _schemas.Attributes(target);
        if (!attributes.Contains(attribute))
            errors.Add(Where(what, node, $"{what}: {target} has no attribute '{attribute}' (it has: {string.Join(", ", attributes.Order(StringComparer.Ordinal))})"));
    }

    private bool IsReferenceable(string name) =>
        _parameters.Contains(name) || _resourceTypes.ContainsKey(name) || PseudoParameters.Contains(name);

    private IEnumerable<string> ReferenceableNames() => _parameters.Concat(_resourceTypes.Keys).Concat(PseudoParameters);

    /// <summary>
    /// Resources that SAM adds to the transformed template and that a Ref, GetAtt or Sub may name:
    /// <c>&lt;Function&gt;Role</c> when a function (or state machine) has no Role, and one resource
    /// per event source (<c>&lt;Function&gt;&lt;Event&gt;</c>).
    /// </summary>
    private void AddSamGeneratedResources()
    {
        foreach (var (id, type) in _resourceTypes.ToList())
        {
            if (type is not (SamTemplate.FunctionType or "AWS::Serverless::StateMachine")) continue;
            var resource = _template.Resource(id);
            var properties = Yaml.Find(resource, "Properties") as YamlMappingNode ?? new YamlMappingNode();
            var role = Yaml.Find(properties, "Role") ?? (type == SamTemplate.FunctionType && _template.GlobalFunction is { } g ? Yaml.Find(g, "Role") : null);
            if (role is null) _resourceTypes.TryAdd(id + "Role", "AWS::IAM::Role");
            if (Yaml.Find(properties, "Events") is not YamlMappingNode events) continue;
            foreach (var (eventKey, eventNode) in events.Children)
            {
                if (eventNode is not YamlMappingNode source || Yaml.Find(source, "Type") is not YamlScalarNode { Value: { } eventType }) continue;
                var name = id + Yaml.Text(eventKey);
                if (GeneratedForEvent.TryGetValue(eventType, out var generated)) _resourceTypes.TryAdd(name, generated);
                // Rules and topics invoke the function through a resource-based permission.
                if (eventType is "Schedule" or "CloudWatchEvent" or "EventBridgeRule" or "SNS" or "S3" or "CloudWatchLogs" or "IoTRule")
                    _resourceTypes.TryAdd(name + "Permission", "AWS::Lambda::Permission");
            }
        }
    }

    private static bool IsIntrinsic(YamlNode node) =>
        Yaml.TagOf(node) is { } tag ? tag.StartsWith('!') :
        node is YamlMappingNode { Children.Count: 1 } map && Yaml.Text(map.Children.Keys.Single()) is var key
                                                         && (key == "Ref" || key.StartsWith("Fn::", StringComparison.Ordinal));

    /// <summary>For <c>!If [condition, a, b]</c>: checks a and b (unless <c>!Ref AWS::NoValue</c>); nothing for other intrinsics.</summary>
    private static void CheckIfBranches(YamlNode node, Action<YamlNode> check)
    {
        var arguments = Yaml.TagOf(node) == "!If" ? node as YamlSequenceNode
            : node is YamlMappingNode map && Yaml.Find(map, "Fn::If") is YamlSequenceNode list ? list : null;
        if (arguments is not { Children.Count: 3 }) return;
        foreach (var branch in arguments.Children.Skip(1))
            if (Yaml.RefTarget(branch) != "AWS::NoValue") check(branch);
    }

    private static YamlScalarNode? IfCondition(YamlNode node)
    {
        var arguments = Yaml.TagOf(node) == "!If" ? node as YamlSequenceNode
            : node is YamlMappingNode map && Yaml.Find(map, "Fn::If") is YamlSequenceNode list ? list : null;
        return arguments is { Children.Count: 3 } && arguments.Children[0] is YamlScalarNode { Value: not null } condition ? condition : null;
    }

    /// <summary>The string of a <c>!Sub</c> and the names its variable map defines.</summary>
    private static (string Text, HashSet<string> Variables)? SubParts(YamlNode node)
    {
        var argument = Yaml.TagOf(node) == "!Sub" ? node
            : node is YamlMappingNode { Children.Count: 1 } map && Yaml.Find(map, "Fn::Sub") is { } sub ? sub : null;
        return argument switch
        {
            YamlScalarNode { Value: { } text } => (text, []),
            YamlSequenceNode { Children.Count: 2 } list when list.Children[0] is YamlScalarNode { Value: { } text } =>
                (text, list.Children[1] is YamlMappingNode variables ? variables.Children.Keys.Select(Yaml.Text).ToHashSet(StringComparer.Ordinal) : []),
            _ => null,
        };
    }

    [GeneratedRegex(@"\$\{([^}]*)\}")]
    private static partial Regex SubPlaceholder();

    private static string Describe(YamlNode node) => node switch
    {
        YamlMappingNode => "a mapping",
        YamlSequenceNode => "a list",
        YamlScalarNode scalar => $"'{scalar.Value}'",
        _ => node.NodeType.ToString(),
    };

    private static string Where(string path, YamlNode node, string message) => $"{path} (line {node.Start.Line}): {message}";

    private static string Suggest(string name, IEnumerable<string> known) =>
        Closest(name, known) is { } close ? $"; did you mean '{close}'?" : "";

    /// <summary>The known name within two edits of <paramref name="name"/> (ignoring case), if any.</summary>
    private static string? Closest(string name, IEnumerable<string> known) =>
        known.Select(k => (Name: k, Distance: Distance(name.ToUpperInvariant(), k.ToUpperInvariant())))
            .Where(k => k.Distance <= 2)
            .OrderBy(k => k.Distance)
            .Select(k => k.Name)
            .FirstOrDefault();

    private static int Distance(string a, string b)
    {
        var previous = Enumerable.Range(0, b.Length + 1).ToArray();
        for (var i = 1; i <= a.Length; i++)
        {
            var current = new int[b.Length + 1];
            current[0] = i;
            for (var j = 1; j <= b.Length; j++)
                current[j] = Math.Min(Math.Min(current[j - 1] + 1, previous[j] + 1), previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1));
            previous = current;
        }
        return previous[b.Length];
    }
}
