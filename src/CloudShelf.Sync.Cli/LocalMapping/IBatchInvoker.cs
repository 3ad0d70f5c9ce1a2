namespace CloudShelf.Sync.Cli.LocalMapping;

/// <summary>Invokes stream-sync with one event, as Lambda's mapping does; safe to call concurrently.</summary>
internal interface IBatchInvoker : IAsyncDisposable
{
    /// <summary>Invokes the function with the event's JSON.</summary>
    /// <param name="eventJson">The DynamoDB event.</param>
    /// <param name="cancellationToken">Abandons the invocation (the records stay unhandled and are read again next run).</param>
    Task<InvocationOutcome> InvokeAsync(byte[] eventJson, CancellationToken cancellationToken);
}
