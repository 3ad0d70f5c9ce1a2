using System.Text.Json;
using CloudShelf.Sync.Hosting;
using CloudShelf.Sync.Streams;

namespace CloudShelf.Sync.Cli.LocalMapping;

/// <summary>
/// Invokes a function handler in this process: the same handler object bootstrap hosts (<see cref="FunctionCatalog"/>).
/// As under the bootstrap's runtime loop, the handler's token fires 1.5 s before the deadline; a handler
/// that has not answered by the deadline itself is reported timed out (it cannot be stopped in-process;
/// whatever it still commits is delivered again, which changes nothing).
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
        using var deadline = new CancellationTokenSource(_timeout > InvocationContext.DefaultDeadlineMargin * 2 ? _timeout - InvocationContext.DefaultDeadlineMargin : _timeout / 2, time);
        byte[] response;
        try
        {
            response = await handler.HandleAsync(eventJson, context, deadline.Token).WaitAsync(_timeout, time, CancellationToken.None);
        }
        catch (Exception e) when (e is TimeoutException || (e is OperationCanceledException && deadline.IsCancellationRequested))
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
