using System.Text.Json.Serialization;

namespace CloudShelf.Sync.Cli;

/// <summary>Source-generated JSON for the CLI's reports.</summary>
[JsonSerializable(typeof(Dictionary<string, int>))]
[JsonSerializable(typeof(Dictionary<string, long>))]
[JsonSerializable(typeof(CloudShelf.Sync.Hosting.DriftResponse))]
internal sealed partial class CliJsonContext : JsonSerializerContext;
