using System.Diagnostics;

namespace CloudShelf.Sync.Benchmarks;

/// <summary>What one contender measured in one phase.</summary>
internal sealed class ContenderResult(string name)
{
    public string Name { get; } = name;

    /// <summary>Milliseconds per batch, one per measured round.</summary>
    public Samples Milliseconds { get; } = new();

    /// <summary>Bytes allocated by the whole process while the batch was applied.</summary>
    public Samples AllocatedBytes { get; } = new();
}

/// <summary>
/// Runs the contenders round by round, interleaved (A, B, C, A, B, C, ...), so that a noisy
/// neighbour or a checkpoint hits all of them rather than one. Only <see cref="Contender.ApplyAsync"/>
/// is inside the stopwatch.
/// </summary>
internal static class Harness
{
    public static async Task<IReadOnlyList<ContenderResult>> RunPhaseAsync(
        IReadOnlyList<Contender> contenders,
        int warmup,
        int rounds,
        Func<int, BookBatch> nextBatch,
        Action<string> progress,
        CancellationToken cancellationToken)
    {
        var results = contenders.Select(c => new ContenderResult(c.Name)).ToList();
        for (var round = 0; round < warmup + rounds; round++)
        {
            var batch = nextBatch(round);
            for (var c = 0; c < contenders.Count; c++)
            {
                var (elapsed, allocated) = await ApplyOnceAsync(contenders[c], batch, cancellationToken);
                if (round < warmup) continue;
                results[c].Milliseconds.Add(elapsed.TotalMilliseconds);
                results[c].AllocatedBytes.Add(allocated);
            }
            progress(round < warmup ? $"warm-up {round + 1}/{warmup}" : $"round {round - warmup + 1}/{rounds}");
        }
        return results;
    }

    /// <summary>Prepares, applies (timed) and checks one batch.</summary>
    public static async Task<(TimeSpan Elapsed, long Allocated)> ApplyOnceAsync(Contender contender, BookBatch batch, CancellationToken cancellationToken)
    {
        await contender.PrepareAsync(batch, cancellationToken);
        var allocatedBefore = GC.GetTotalAllocatedBytes(precise: true);
        var started = Stopwatch.GetTimestamp();
        await contender.ApplyAsync(cancellationToken);
        var elapsed = Stopwatch.GetElapsedTime(started);
        var allocated = GC.GetTotalAllocatedBytes(precise: true) - allocatedBefore;
        contender.Check();
        return (elapsed, allocated);
    }
}
