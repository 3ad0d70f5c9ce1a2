using System.Text.Json;
using System.Text.Json.Serialization;
using CloudShelf.Sync.Backfill;

namespace CloudShelf.Sync.Hosting;

/// <summary>
/// The input and output of the <c>backfill</c> function: one scan segment. The Step Functions state
/// machine maps over the segments and invokes each again with its own output until <c>done</c>.
/// </summary>
public sealed class BackfillSegmentRequest
{
    /// <summary>The DynamoDB table (source name) or the PostgreSQL table.</summary>
    [JsonPropertyName("table")]
    public string? Table { get; set; }

    /// <summary>The segment, 0-based.</summary>
    [JsonPropertyName("segment")]
    public int Segment { get; set; }

    /// <summary>How many segments the table is scanned in.</summary>
    [JsonPropertyName("totalSegments")]
    public int TotalSegments { get; set; }

    /// <summary>Items per Scan page.</summary>
    [JsonPropertyName("pageSize")]
    public int? PageSize { get; set; }

    /// <summary>Read capacity units per second for this segment (a token bucket with one second's worth of credit); null for no limit.</summary>
    [JsonPropertyName("readUnitsPerSecond")]
    public double? ReadUnitsPerSecond { get; set; }

    /// <summary>Set in the output: the segment has been scanned to its end.</summary>
    [JsonPropertyName("done")]
    public bool Done { get; set; }

    /// <summary>Set in the output: items read by all invocations so far.</summary>
    [JsonPropertyName("itemsScanned")]
    public long ItemsScanned { get; set; }

    /// <summary>Set in the output: items written by all invocations so far.</summary>
    [JsonPropertyName("itemsWritten")]
    public long ItemsWritten { get; set; }
}

[JsonSerializable(typeof(BackfillSegmentRequest))]
internal sealed partial class BackfillJsonContext : JsonSerializerContext;

/// <summary><c>backfill</c>: scans one segment page by page until its time budget is spent, then returns where it stands.</summary>
internal sealed class BackfillFunction(SyncServices services) : IFunctionHandler
{
    public async Task<byte[]> HandleAsync(ReadOnlyMemory<byte> payload, InvocationContext context, CancellationToken cancellationToken)
    {
        var request = JsonSerializer.Deserialize(payload.Span, BackfillJsonContext.Default.BackfillSegmentRequest)
                      ?? throw new ArgumentException("The backfill input is JSON null.");
        var table = (request.Table is null ? null : services.Mapping.ForSourceTable(request.Table) ?? services.Mapping.ForTable(request.Table))
                    ?? throw new ArgumentException($"'{request.Table}' is not a synced table ({string.Join(", ", services.Mapping.Tables.Select(t => t.SourceTable))}).");
        if (request.TotalSegments < 1 || request.Segment < 0 || request.Segment >= request.TotalSegments)
            throw new ArgumentException($"Segment {request.Segment} of {request.TotalSegments} does not exist.");

        if (request.ReadUnitsPerSecond is { } rate && !(rate > 0 && double.IsFinite(rate)))
            throw new ArgumentException($"readUnitsPerSecond must be a positive number of read capacity units per second, got {rate}.");
        var options = new BackfillOptions(request.PageSize ?? 500, request.ReadUnitsPerSecond);
        // The budget ends with the invocation's deadline token: the page in flight finishes or is
        // rolled back, the checkpoint says where the next invocation starts.
        SegmentProgress progress;
        try
        {
            progress = await services.Backfiller.RunSegmentAsync(table, request.Segment, request.TotalSegments, options, null, cancellationToken);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            progress = await services.Backfiller.ProgressAsync(table, request.Segment, request.TotalSegments, CancellationToken.None);
        }
        request.Table = table.SourceTable;
        request.Done = progress.Done;
        request.ItemsScanned = progress.ItemsScanned;
        request.ItemsWritten = progress.ItemsWritten;
        return JsonSerializer.SerializeToUtf8Bytes(request, BackfillJsonContext.Default.BackfillSegmentRequest);
    }
}
