using System.Text.Json;
using System.Text.Json.Serialization;
using CloudShelf.Sync.Drift;

namespace CloudShelf.Sync.Hosting;

/// <summary>
/// The input of <c>drift-detector</c>. The EventBridge schedule sends its own event, whose fields are
/// ignored: the settings decide. An operator's invocation may narrow or change the run.
/// </summary>
public sealed class DriftRequest
{
    /// <summary>Tables to compare (PostgreSQL or DynamoDB names); all when absent.</summary>
    [JsonPropertyName("tables")]
    public string[]? Tables { get; set; }

    /// <summary>Sampled mode with this fraction; full mode when absent.</summary>
    [JsonPropertyName("sample")]
    public double? Sample { get; set; }

    /// <summary>Repair, overriding <c>CLOUDSHELF_DRIFT_REPAIR</c>.</summary>
    [JsonPropertyName("repair")]
    public bool? Repair { get; set; }
}

/// <summary>The output of <c>drift-detector</c>: the run's counts per table.</summary>
public sealed class DriftResponse
{
    /// <summary>The run's id.</summary>
    [JsonPropertyName("runId")]
    public long RunId { get; set; }

    /// <summary><c>full</c> or <c>sample</c>.</summary>
    [JsonPropertyName("mode")]
    public string Mode { get; set; } = "";

    /// <summary>Unresolved drift in the compared tables.</summary>
    [JsonPropertyName("openDrift")]
    public int OpenDrift { get; set; }

    /// <summary>Per table.</summary>
    [JsonPropertyName("tables")]
    public List<DriftTableResponse> Tables { get; set; } = [];

    /// <summary>The response form of a run's report.</summary>
    public static DriftResponse From(DriftReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        return new DriftResponse
        {
            RunId = report.RunId,
            Mode = report.Mode,
            OpenDrift = report.OpenDrift,
            Tables = report.Tables.Select(DriftTableResponse.From).ToList(),
        };
    }
}

/// <summary>One table's counts in <see cref="DriftResponse"/>.</summary>
public sealed class DriftTableResponse
{
    /// <summary>The PostgreSQL table.</summary>
    [JsonPropertyName("table")]
    public string Table { get; set; } = "";

    /// <summary>Keys compared by this run.</summary>
    [JsonPropertyName("itemsCompared")]
    public long ItemsCompared { get; set; }

    /// <summary>Missing rows found.</summary>
    [JsonPropertyName("missing")]
    public int Missing { get; set; }

    /// <summary>Extra rows found.</summary>
    [JsonPropertyName("extra")]
    public int Extra { get; set; }

    /// <summary>Changed rows found.</summary>
    [JsonPropertyName("changed")]
    public int Changed { get; set; }

    /// <summary>Differences in flight (not counted).</summary>
    [JsonPropertyName("inFlight")]
    public int InFlight { get; set; }

    /// <summary>Drift repaired.</summary>
    [JsonPropertyName("repaired")]
    public int Repaired { get; set; }

    /// <summary>Fraction of the table compared.</summary>
    [JsonPropertyName("coverage")]
    public double Coverage { get; set; }

    /// <summary>This run completed a full pass of the table.</summary>
    [JsonPropertyName("fullCoverage")]
    public bool FullCoverage { get; set; }

    /// <summary>Unresolved drift of the table.</summary>
    [JsonPropertyName("openDrift")]
    public int OpenDrift { get; set; }

    /// <summary>Findings of this run: key, kind, attribute names (never values).</summary>
    [JsonPropertyName("findings")]
    public List<DriftFindingResponse> Findings { get; set; } = [];

    /// <summary>The response form of a report.</summary>
    public static DriftTableResponse From(DriftTableReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        return new DriftTableResponse
        {
            Table = report.Table,
            ItemsCompared = report.ItemsCompared,
            Missing = report.Missing,
            Extra = report.Extra,
            Changed = report.Changed,
            InFlight = report.InFlight,
            Repaired = report.Repaired,
            Coverage = Math.Round(report.Coverage, 4),
            FullCoverage = report.FullCoverage,
            OpenDrift = report.OpenDrift,
            Findings = report.Findings.Select(f => new DriftFindingResponse
            {
                Key = f.Key, Kind = DriftStore.KindName(f.Kind), Attributes = f.Attributes.ToArray(), InFlight = f.InFlight, Repaired = f.Repaired,
            }).ToList(),
        };
    }
}

/// <summary>One finding in <see cref="DriftTableResponse"/>.</summary>
public sealed class DriftFindingResponse
{
    /// <summary>The item key.</summary>
    [JsonPropertyName("key")]
    public string Key { get; set; } = "";

    /// <summary><c>missing</c>, <c>extra</c> or <c>changed</c>.</summary>
    [JsonPropertyName("kind")]
    public string Kind { get; set; } = "";

    /// <summary>Names of the attributes that differ.</summary>
    [JsonPropertyName("attributes")]
    public string[] Attributes { get; set; } = [];

    /// <summary>In flight: not counted.</summary>
    [JsonPropertyName("inFlight")]
    public bool InFlight { get; set; }

    /// <summary>Repaired by this run.</summary>
    [JsonPropertyName("repaired")]
    public bool Repaired { get; set; }
}

[JsonSerializable(typeof(DriftRequest))]
[JsonSerializable(typeof(DriftResponse))]
internal sealed partial class DriftFunctionJsonContext : JsonSerializerContext;

/// <summary>
/// <c>drift-detector</c>: one run of the drift engine within the invocation's time, continuing the
/// tables' passes where the last run stopped.
/// </summary>
internal sealed class DriftFunction(SyncServices services) : IFunctionHandler
{
    // Time kept back from the deadline for the last page, its re-checks and the run's bookkeeping.
    private static readonly TimeSpan Reserve = TimeSpan.FromSeconds(60);

    public async Task<byte[]> HandleAsync(ReadOnlyMemory<byte> payload, InvocationContext context, CancellationToken cancellationToken)
    {
        var request = payload.IsEmpty ? null : JsonSerializer.Deserialize(payload.Span, DriftFunctionJsonContext.Default.DriftRequest);
        var remaining = context.Deadline - services.Time.GetUtcNow() - Reserve;
        var settings = services.Settings;
        var options = new DriftOptions
        {
            Tables = request?.Tables,
            SampleFraction = request?.Sample,
            Repair = request?.Repair ?? settings.DriftRepair,
            Segments = settings.DriftSegments,
            ReadUnitsPerSecond = settings.DriftReadUnitsPerSecond,
            TimeBudget = remaining > TimeSpan.FromSeconds(1) ? remaining : TimeSpan.FromSeconds(1),
        };
        var report = await services.Drift.RunAsync(options, cancellationToken);
        return JsonSerializer.SerializeToUtf8Bytes(DriftResponse.From(report), DriftFunctionJsonContext.Default.DriftResponse);
    }
}
