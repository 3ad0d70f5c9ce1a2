using System.Diagnostics;
using CloudShelf.Sync.Mapping;
using CloudShelf.Sync.Postgres;
using CloudShelf.Sync.Streams;
using CloudShelf.Sync.StreamSync;

namespace CloudShelf.Sync.Benchmarks;

/// <summary>Medians of where stream-apply spends a batch, for one phase.</summary>
internal sealed class BreakdownResult(string phase)
{
    public string Phase { get; } = phase;
    public Samples Handler { get; } = new();
    public Samples Parse { get; } = new();
    public Samples Map { get; } = new();
    public Samples Write { get; } = new();
    public Samples EventBytes { get; } = new();
}

/// <summary>
/// Splits stream-apply into its steps with the public APIs: parse
/// (<see cref="StreamEventSerializer.ReadEvent"/>), map (<see cref="ItemMapper.Map"/> per record) and
/// write (<see cref="ChangeWriter.WriteAsync"/> of the collapsed changes, one transaction). The whole
/// handler runs on a twin batch of other keys in the same round and database, so "rest" (classify,
/// collapse, outcomes, metrics, response) is the handler's median less the steps' medians.
/// </summary>
internal sealed class Breakdown(StreamApplyContender target, BookBatchFactory factory)
{
    private readonly ChangeWriter _writer = new(target.Services.DataSource, target.Services.Mapping);

    public async Task<BreakdownResult> InsertsAsync(int warmup, int rounds, CancellationToken cancellationToken) =>
        await RunAsync("inserts", warmup, rounds,
            round => (factory.Inserts($"bd-ins-a-{round:D4}", Size), factory.Inserts($"bd-ins-b-{round:D4}", Size)),
            cancellationToken);

    public async Task<BreakdownResult> ModifiesAsync(int warmup, int rounds, CancellationToken cancellationToken)
    {
        var seedA = factory.Inserts("bd-mod-a", Size);
        var seedB = factory.Inserts("bd-mod-b", Size);
        await Harness.ApplyOnceAsync(target, seedA, cancellationToken);
        await Harness.ApplyOnceAsync(target, seedB, cancellationToken);
        return await RunAsync("modifies", warmup, rounds,
            round => (factory.Modifies(seedA.Keys, round + 1), factory.Modifies(seedB.Keys, round + 1)),
            cancellationToken);
    }

    public int Size { get; init; } = 1000;

    private async Task<BreakdownResult> RunAsync(
        string phase, int warmup, int rounds, Func<int, (BookBatch Whole, BookBatch Split)> batches, CancellationToken cancellationToken)
    {
        var result = new BreakdownResult(phase);
        // The writer knows the tables of its own mapping instance.
        var table = target.Services.Mapping.ForSourceTable(factory.Books.SourceTable)!;
        for (var round = 0; round < warmup + rounds; round++)
        {
            var (whole, split) = batches(round);
            var (handler, _) = await Harness.ApplyOnceAsync(target, whole, cancellationToken);

            var started = Stopwatch.GetTimestamp();
            var dynamoEvent = StreamEventSerializer.ReadEvent(split.EventJson);
            var parse = Stopwatch.GetElapsedTime(started);

            started = Stopwatch.GetTimestamp();
            var rows = new MappedRow[dynamoEvent.Records.Count];
            for (var i = 0; i < rows.Length; i++)
                rows[i] = ItemMapper.Map(table, dynamoEvent.Records[i].Dynamodb!.NewImage!);
            var map = Stopwatch.GetElapsedTime(started);

            // One record per key here, so collapsing is only the sort the writer requires.
            var changes = dynamoEvent.Records
                .Select((record, i) => new Change
                {
                    Table = table,
                    Key = rows[i].Key,
                    SequenceNumber = record.Dynamodb!.SequenceNumber!,
                    Kind = ChangeKind.Upsert,
                    ChangedAt = record.Dynamodb.ApproximateCreationDateTime,
                    Row = rows[i],
                    Records = [new SourceRecord(record, table.SourceTable)],
                })
                .OrderBy(c => c.Key, StringComparer.Ordinal)
                .ToList();
            started = Stopwatch.GetTimestamp();
            var written = await _writer.WriteAsync(changes, [], cancellationToken);
            var write = Stopwatch.GetElapsedTime(started);
            if (written.Won.Count != changes.Count || written.Quarantined.Count != 0)
                throw new InvalidOperationException($"breakdown: the writer applied {written.Won.Count} of {changes.Count} changes and quarantined {written.Quarantined.Count}.");

            if (round < warmup) continue;
            result.Handler.Add(handler.TotalMilliseconds);
            result.Parse.Add(parse.TotalMilliseconds);
            result.Map.Add(map.TotalMilliseconds);
            result.Write.Add(write.TotalMilliseconds);
            result.EventBytes.Add(split.EventJson.Length);
        }
        return result;
    }
}
