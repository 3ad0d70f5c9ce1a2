using System.Text.Json;
using CloudShelf.Sync.Hosting;
using CloudShelf.Sync.Streams;

namespace CloudShelf.Sync.Cli.LocalMapping;

/// <summary>Invokes a function handler in this process: the same handler object bootstrap hosts (<see cref="FunctionCatalog"/>).</summary>
internal sealed class InProcessInvoker(IFunctionHandler handler, TimeProvider time) : IBatchInvoker
{
    // Lambda's stream-sync timeout in template.yaml is far longer than a local batch needs.
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(5);

    public async Task<InvocationOutcome> InvokeAsync(byte[] eventJson, CancellationToken cancellationToken)
    {
        var context = new InvocationContext(Guid.NewGuid().ToString(), time.GetUtcNow() + Timeout, null, null);
        byte[] response;
        try
        {
            response = await handler.HandleAsync(eventJson, context, cancellationToken);
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
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
