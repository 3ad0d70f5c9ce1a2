using CloudShelf.Sync.Lag;

namespace CloudShelf.Sync.Hosting;

/// <summary>
/// <c>sync-lag</c> (scheduled): one measuring run; the metrics go out as EMF when the runtime loop
/// flushes, the report is the response. The schedule's event carries nothing it needs.
/// </summary>
internal sealed class SyncLagFunction(SyncServices services) : IFunctionHandler
{
    public async Task<byte[]> HandleAsync(ReadOnlyMemory<byte> payload, InvocationContext context, CancellationToken cancellationToken)
    {
        var report = await services.SyncLag.RunAsync(cancellationToken);
        return LagReportJson.Write(report);
    }
}
