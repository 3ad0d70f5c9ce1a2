using System.Collections.Concurrent;
using CloudShelf.Sync.Cli.LocalMapping;
using CloudShelf.Sync.Streams;

namespace CloudShelf.Sync.Benchmarks;

/// <summary>
/// A function that does nothing but note when each record reached it: the reference consumer of the
/// end-to-end benchmark. What it sees is the floor the mapping itself sets (DynamoDB Local, the
/// stream reader's polling, the batching window), with no stream-sync and no PostgreSQL behind it.
/// </summary>
internal sealed class DeliveryRecorder : IBatchInvoker
{
    private readonly ConcurrentDictionary<string, DateTimeOffset> _arrivals = new(StringComparer.Ordinal);

    /// <summary>The key attribute whose value names a record.</summary>
    public required string KeyAttribute { get; init; }

    /// <summary>When each key was first delivered (a redelivery keeps the first time).</summary>
    public IReadOnlyDictionary<string, DateTimeOffset> Arrivals => _arrivals;

    public Task<InvocationOutcome> InvokeAsync(byte[] eventJson, CancellationToken cancellationToken)
    {
        var at = DateTimeOffset.UtcNow;
        foreach (var record in StreamEventSerializer.ReadEvent(eventJson).Records)
        {
            if (record.Dynamodb?.Keys?.GetValueOrDefault(KeyAttribute)?.S is { } key) _arrivals.TryAdd(key, at);
        }
        return Task.FromResult(InvocationOutcome.Answered(new StreamsEventResponse()));
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
