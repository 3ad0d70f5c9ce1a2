namespace CloudShelf.Sync.Cli.LocalMapping;

/// <summary>Invokes stream-sync with one event, as Lambda's mapping does; safe to call concurrently.</summary>
internal interface IBatchInvoker : IAsyncDisposable
{
    /// <summary>
    /// Invokes the function with the event's JSON. Once started, an invocation runs until the function
    /// answers or its timeout passes, as in Lambda: stopping the mapping waits for it, never abandons it.
    /// </summary>
    /// <param name="eventJson">The DynamoDB event.</param>
    /// <param name="stopping">
    /// Fired when the mapping stops: an invocation that has not started yet (waiting for an execution
    /// environment) is not started, and <see cref="OperationCanceledException"/> is thrown; its records stay
    /// unhandled and are read again by the next run.
    /// </param>
    Task<InvocationOutcome> InvokeAsync(byte[] eventJson, CancellationToken stopping);
}
