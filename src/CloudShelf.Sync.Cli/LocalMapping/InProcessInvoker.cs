using System.Text.Json;
using CloudShelf.Sync.Hosting;
using CloudShelf.Sync.Streams;

namespace CloudShelf.Sync.Cli.LocalMapping;

/// <summary>
/// Invokes a function handler in this process: the same handler object bootstrap hosts (<see cref="FunctionCatalog"/>).
/// The handler's token fires at the function timeout, as the bootstrap's runtime loop fires it before the deadline.
/// </summary>
/// <param name="handler">The handler.</param>
/// <param name="time">The clock of the deadline.</param>
/// <param name="timeout">The function timeout; <see cref="LocalMappingOptions.DefaultFunctionTimeout"/> when null.</param>
internal sealed class InProcessInvoker(IFunctionHandler handler, TimeProvider time, TimeSpan? timeout = null) : IBatchInvoker
{
    private readonly TimeSpan _timeout = timeout ?? LocalMappingOptions.DefaultFunctionTimeout;

    public async Task<InvocationOutcome> InvokeAsync(byte[] eventJson, CancellationToken stopping)
    {
        stopping.ThrowIfCancellationRequested();
        var context = new InvocationContext(Guid.NewGuid().ToString(), time.GetUtcNow() + _timeout, null, null);
        using var deadline = new CancellationTokenSource(_timeout, time);
        byte[] response;
        try
        {
            response = await handler.HandleAsync(eventJson, context, deadline.Token);
        }
        catch (OperationCanceledException) when (deadline.IsCancellationRequested)
        {
            return InvocationOutcome.Failed($"Task timed out after {_timeout.TotalSeconds:0} seconds.");
        }
        catch (Exception e)
        {
            // In Lambda an exception is a function error: the whole batch is retried (or bisected).
            return InvocationOutcome.Failed($"{e.GetType().Name}: {e.Message}");
        }

        try
        {
            return InvocationOutcome.Answered(StreamEventSerializer.ReadResponse(response));
        }
        catch (JsonException e)
        {
            return InvocationOutcome.Failed($"The response is not a partial batch response: {e.Message}");
        }
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
