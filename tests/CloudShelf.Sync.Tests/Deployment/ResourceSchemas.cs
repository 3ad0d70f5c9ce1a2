using System.IO.Compression;
using System.Text.Json;
using CloudShelf.Sync.Testing;

namespace CloudShelf.Sync.Tests.Deployment;

/// <summary>
/// CloudFormation's registry schemas and SAM's resource specification, as the npm package
/// <c>@aws-cdk/aws-service-spec</c> ships them: one gzipped JSON database (<c>db.json.gz</c>) with
/// a <c>resource</c> entity per resource type (its <c>properties</c>, each with a <c>type</c> and
/// <c>required</c>, and its GetAtt <c>attributes</c>) and <c>typeDefinition</c> entities for the
/// nested property types, which a <c>{"type": "ref", "reference": {"$ref": id}}</c> points at.
/// Read offline from node_modules (<c>make deps</c> installs the version package-lock.json pins).
/// </summary>
internal sealed class ResourceSchemas
{
    public const string PackagePath = "node_modules/@aws-cdk/aws-service-spec/db.json.gz";

    private static readonly Lazy<ResourceSchemas> Installed = new(() => Load(Path.Combine(RepositoryRoot.Find(), PackagePath)));

    private readonly Dictionary<string, JsonElement> _resources;
    private readonly Dictionary<string, JsonElement> _types;

    private ResourceSchemas(Dictionary<string, JsonElement> resources, Dictionary<string, JsonElement> types)
    {
        _resources = resources;
        _types = types;
    }

    public static ResourceSchemas Load() => Installed.Value;

    public static ResourceSchemas Load(string path)
    {
        if (!File.Exists(path))
            throw new InvalidOperationException($"{path} is missing: run `make deps` (npm ci installs @aws-cdk/aws-service-spec).");
        using var file = File.OpenRead(path);
        using var gzip = new GZipStream(file, CompressionMode.Decompress);
        // Kept for the life of the test run: the elements below point into it.
        var document = JsonDocument.Parse(gzip);
        var schema = document.RootElement.GetProperty("schema");
        var resources = schema.GetProperty("resource").GetProperty("entities").EnumerateArray()
            .ToDictionary(r => r.GetProperty("cloudFormationType").GetString()!, StringComparer.Ordinal);
        var types = schema.GetProperty("typeDefinition").GetProperty("entities").EnumerateArray()
            .ToDictionary(t => t.GetProperty("$id").GetString()!, StringComparer.Ordinal);
        return new ResourceSchemas(resources, types);
    }

    /// <summary>The resource entity of a type such as <c>AWS::SQS::Queue</c>, if the database has it.</summary>
    public bool TryGetResource(string type, out JsonElement resource) => _resources.TryGetValue(type, out resource);

    /// <summary>The nested type a <c>ref</c> type points at.</summary>
    public JsonElement Referenced(JsonElement refType) =>
        _types[refType.GetProperty("reference").GetProperty("$ref").GetString()!];

    /// <summary>The names <c>!GetAtt</c> may ask a resource type for.</summary>
    public IReadOnlyCollection<string> Attributes(string type) =>
        _resources.TryGetValue(type, out var resource)
            ? resource.GetProperty("attributes").EnumerateObject().Select(a => a.Name).ToList()
            : [];
}
