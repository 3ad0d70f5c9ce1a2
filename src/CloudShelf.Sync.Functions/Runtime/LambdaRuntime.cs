using CloudShelf.Sync.Hosting;
using CloudShelf.Sync.Observability;

namespace CloudShelf.Sync.Functions.Runtime;

/// <summary>
/// The Runtime API loop: take the next invocation, run the handler with a token that fires
/// shortly before the deadline, post the response or the error, repeat. One failed invocation
/// never stops the loop; only the Runtime API itself failing does (Lambda then replaces the
/// execution environment).
/// </summary>
/// <param name="api">The Runtime API.</param>
/// <param name="logContext">The log context, given each invocation's request and trace ids.</param>
/// <param name="log">The log.</param>
/// <param name="metrics">The metrics, flushed after each invocation.</param>
/// <param name="time">The clock of the deadline.</param>
/// <param name="deadlineMargin">How long before the deadline the handler's token fires.</param>
/// <param name="environment">Where each invocation's trace id is published (<c>_X_AMZN_TRACE_ID</c>).</param>
public sealed class LambdaRuntime(
    IRuntimeApi api, LogContext logContext, ILog log, IMetrics metrics, TimeProvider time, TimeSpan deadlineMargin, IInvocationEnvironment environment)
{
    /// <summary>Serves invocations until <paramref name="stopping"/> fires.</summary>
    public async Task RunAsync(IFunctionHandler handler, CancellationToken stopping)
    {
        while (!stopping.IsCancellationRequested)
        {
            var (context, payload) = await api.NextAsync(stopping);
            await InvokeAsync(handler, context, payload, stopping);
        }
    }

    /// <summary>Runs one invocation and posts its outcome.</summary>
    public async Task InvokeAsync(IFunctionHandler handler, InvocationContext context, byte[] payload, CancellationToken stopping)
    {
        ArgumentNullException.ThrowIfNull(handler);
        ArgumentNullException.ThrowIfNull(context);
        logContext.RequestId = context.RequestId;
        logContext.TraceId = context.TraceId;
        environment.SetTraceId(context.TraceId);
        // Lambda's longest timeout is 15 minutes; an emulator that sends no deadline gets a day.
        var budget = context.Deadline == DateTimeOffset.MaxValue
            ? TimeSpan.FromDays(1)
            : TimeSpan.FromTicks(Math.Clamp((context.Deadline - time.GetUtcNow() - deadlineMargin).Ticks, 0, TimeSpan.FromDays(1).Ticks));
        using var deadline = new CancellationTokenSource(budget, time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(stopping, deadline.Token);
        try
        {
            byte[] response;
            try
            {
                response = await handler.HandleAsync(payload, context, linked.Token);
            }
            finally
            {
                metrics.Flush();
            }
            await api.RespondAsync(context.RequestId, response, stopping);
        }
        catch (Exception e) when (!stopping.IsCancellationRequested)
        {
            log.Error(e, "Invocation failed", new LogField("payload_bytes", payload.Length));
            try
            {
                await api.ReportInvocationErrorAsync(context.RequestId, e, stopping);
            }
            catch (Exception report) when (report is HttpRequestException or IOException)
            {
                // Lambda times the invocation out and retries it; the loop goes on.
                log.Error(report, "Could not report the invocation error to the Runtime API");
            }
        }
        finally
        {
            logContext.ColdStart = false;
            logContext.RequestId = null;
            logContext.TraceId = null;
        }
    }
}
