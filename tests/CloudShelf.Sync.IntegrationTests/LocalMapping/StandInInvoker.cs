using System.Collections.Concurrent;
using CloudShelf.Sync.Cli.LocalMapping;
using CloudShelf.Sync.Streams;

namespace CloudShelf.Sync.IntegrationTests.LocalMapping;

/// <summary>
/// A stand-in for stream-sync: decides per invocation whether to answer itself (a function error, a
/// partial failure) or to pass the event on to the real handler, and records what it was given.
/// </summary>
internal sealed class StandInInvoker(IBatchInvoker real, Func<StandInInvoker, DynamoDBEvent, byte[], Task<InvocationOutcome?>>? intercept = null)
    : IBatchInvoker
{
    /// <summary>The sequence numbers of every invocation, in the order invocations started.</summary>
    public ConcurrentQueue<IReadOnlyList<string>> Invocations { get; } = new();

    /// <summary>The sequence numbers of the records of each key, in the order successful invocations delivered them.</summary>
    public ConcurrentDictionary<string, ConcurrentQueue<string>> DeliveredByKey { get; } = new(StringComparer.Ordinal);

    public IBatchInvoker Real => real;

    public async Task<InvocationOutcome> InvokeAsync(byte[] eventJson, CancellationToken stopping)
    {
        stopping.ThrowIfCancellationRequested();
        var dynamoEvent = StreamEventSerializer.ReadEvent(eventJson);
        Invocations.Enqueue(dynamoEvent.Records.Select(r => r.Dynamodb!.SequenceNumber!).ToList());
        var outcome = intercept is null ? null : await intercept(this, dynamoEvent, eventJson);
        // Once intercepted the invocation has started: a stop that came meanwhile waits for it.
        outcome ??= await real.InvokeAsync(eventJson, intercept is null ? stopping : CancellationToken.None);
        if (outcome.Response is { BatchItemFailures.Count: 0 })
        {
            foreach (var record in dynamoEvent.Records)
                DeliveredByKey.GetOrAdd(Key(record), _ => new ConcurrentQueue<string>()).Enqueue(record.Dynamodb!.SequenceNumber!);
        }
        return outcome;
    }

    public static string Key(DynamoDBStreamRecord record) =>
        StreamArn.TableName(record.EventSourceArn) + "/" + string.Join(",", record.Dynamodb!.Keys!.Select(k => k.Value.S));

    public static bool Contains(DynamoDBEvent dynamoEvent, string key, bool removes = true) =>
        dynamoEvent.Records.Any(r => r.Dynamodb!.Keys!.Values.Any(v => v.S == key) && (removes || r.EventName != "REMOVE"));

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
