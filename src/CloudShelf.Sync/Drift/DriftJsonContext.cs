using System.Text.Json.Serialization;

namespace CloudShelf.Sync.Drift;

/// <summary>Source-generated JSON for drift's own payloads (no reflection: Native AOT).</summary>
[JsonSerializable(typeof(string[]))]
internal sealed partial class DriftJsonContext : JsonSerializerContext;
