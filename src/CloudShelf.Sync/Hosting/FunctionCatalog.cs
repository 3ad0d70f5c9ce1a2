using CloudShelf.Sync.StreamSync;

namespace CloudShelf.Sync.Hosting;

/// <summary>
/// The functions this bootstrap hosts, by <c>_HANDLER</c> (the <c>Handler:</c> of template.yaml).
/// </summary>
public static class FunctionCatalog
{
    /// <summary>Drift detection (scheduled).</summary>
    public const string DriftDetector = "drift-detector";
    /// <summary>Sync-lag metrics (scheduled).</summary>
    public const string SyncLag = "sync-lag";
    /// <summary>Backfill of one scan segment (Step Functions).</summary>
    public const string Backfill = "backfill";

    /// <summary>Every handler name the bootstrap knows.</summary>
    public static IReadOnlyList<string> Names { get; } = [StreamSyncHandler.Name, DriftDetector, SyncLag, Backfill];

    /// <summary>Whether the named function needs the database at start-up.</summary>
    public static bool NeedsServices(string name) => name is StreamSyncHandler.Name or Backfill or DriftDetector or SyncLag;

    /// <summary>The handler of a known name.</summary>
    /// <exception cref="RuntimeErrorException">Unknown name (<c>Runtime.UnknownHandler</c>).</exception>
    public static IFunctionHandler Create(string? name, SyncServices? services) => name switch
    {
        StreamSyncHandler.Name => new StreamSyncFunction(services ?? throw new ArgumentNullException(nameof(services))),
        Backfill => new BackfillFunction(services ?? throw new ArgumentNullException(nameof(services))),
        DriftDetector => new DriftFunction(services ?? throw new ArgumentNullException(nameof(services))),
        SyncLag => new SyncLagFunction(services ?? throw new ArgumentNullException(nameof(services))),
        _ => throw new RuntimeErrorException("Runtime.UnknownHandler",
            $"Unknown handler '{name}' (_HANDLER); this bootstrap hosts: {string.Join(", ", Names)}."),
    };
}

/// <summary><c>stream-sync</c>: the DynamoDB Streams event in, the partial batch response out.</summary>
internal sealed class StreamSyncFunction(SyncServices services) : IFunctionHandler
{
    public Task<byte[]> HandleAsync(ReadOnlyMemory<byte> payload, InvocationContext context, CancellationToken cancellationToken) =>
        services.StreamSync.HandleAsync(payload, cancellationToken);
}
