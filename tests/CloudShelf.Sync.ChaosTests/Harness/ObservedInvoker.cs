using System.Collections.Concurrent;
using CloudShelf.Sync.Cli.LocalMapping;
using CloudShelf.Sync.Streams;

namespace CloudShelf.Sync.ChaosTests.Harness;

/// <summary>
/// Sits between the local mapping and stream-sync (in-process or the bootstrap): a scenario may act
/// before an invocation (hold it, answer instead) or replace its outcome after it ran for real, and
/// every invocation and its outcome is recorded.
/// </summary>
internal sealed class ObservedInvoker(IBatchInvoker real) : IBatchInvoker
{
    private int _invocations;
    private int _failed;

    /// <summary>Runs before the real invocation; a non-null outcome answers instead of it.</summary>
    public Func<Invocation, Task<InvocationOutcome?>>? Before { get; set; }

    /// <summary>Runs after the real invocation and may replace its outcome.</summary>
    public Func<Invocation, InvocationOutcome, Task<InvocationOutcome>>? After { get; set; }

    /// <summary>The real invoker.</summary>
    public IBatchInvoker Real => real;

    /// <summary>Invocations started.</summary>
    public int Invocations => Volatile.Read(ref _invocations);

    /// <summary>Invocations whose final outcome was a function error or a response naming failed records.</summary>
    public int Failed => Volatile.Read(ref _failed);

    /// <summary>Every final outcome that was not a complete success, with the invocation.</summary>
    public ConcurrentQueue<(Invocation Invocation, InvocationOutcome Outcome)> Failures { get; } = new();

    /// <summary>Per item (table/key), the sequence numbers of its records in the order complete successes delivered them.</summary>
    public ConcurrentDictionary<string, ConcurrentQueue<string>> DeliveredByKey { get; } = new(StringComparer.Ordinal);

    public async Task<InvocationOutcome> InvokeAsync(byte[] eventJson, CancellationToken stopping)
    {
        stopping.ThrowIfCancellationRequested();
        var invocation = new Invocation(StreamEventSerializer.ReadEvent(eventJson), eventJson);
        Interlocked.Increment(ref _invocations);
        var outcome = Before is null ? null : await Before(invocation);
        // Once Before ran the invocation has started: a stop that came meanwhile waits for it.
        outcome ??= await real.InvokeAsync(eventJson, Before is null ? stopping : CancellationToken.None);
        if (After is not null) outcome = await After(invocation, outcome);
        if (outcome.Response is { BatchItemFailures.Count: 0 })
        {
            foreach (var record in invocation.Event.Records)
                DeliveredByKey.GetOrAdd(Invocation.Key(record), _ => new ConcurrentQueue<string>()).Enqueue(record.Dynamodb!.SequenceNumber!);
        }
        else
        {
            Interlocked.Increment(ref _failed);
            Failures.Enqueue((invocation, outcome));
        }
        return outcome;
    }

    public ValueTask DisposeAsync() => real.DisposeAsync();
}
