using CloudShelf.Sync.ChaosTests.Harness;
using CloudShelf.Sync.StreamReading;
using CloudShelf.Sync.Streams;
using Xunit.Abstractions;

namespace CloudShelf.Sync.ChaosTests;

/// <summary>
/// Scenario 6: a shard split. DynamoDB Local keeps one shard per stream (checked here), so each
/// stream is presented as a parent shard closed at a split point and two children
/// (<see cref="SplitShardStreams"/>), over DynamoDB Local's own records.
/// </summary>
[Collection(ChaosCollection.Name)]
public sealed class ShardSplitTests(ChaosServers servers, ITestOutputHelper output)
{
    [Fact]
    public async Task A_split_shard_is_applied_parent_before_children_and_loses_nothing()
    {
        await using var stack = await ChaosStack.CreateAsync(servers, "shard-split");
        var before = new Traffic(stack, seed: 6);
        await before.RunAsync(operations: 90, pause: TimeSpan.Zero);

        var reader = new DynamoDbStreamReader(stack.StreamsApi, TimeProvider.System);
        var splits = new Dictionary<string, (string ShardId, string SplitAfter)>(StringComparer.Ordinal);
        var realShards = 0;
        foreach (var table in stack.Tables)
        {
            var arn = (await stack.Client.DescribeTableAsync(table)).Table.LatestStreamArn;
            var tree = await reader.DescribeStreamAsync(arn, CancellationToken.None);
            realShards += tree.Shards.Count;
            var shard = Assert.Single(tree.Shards);
            var records = await reader.ReadShardAsync(arn, shard, StreamPosition.TrimHorizon, new ShardReadBudget(10_000, TimeSpan.FromSeconds(30)), CancellationToken.None);
            splits[arn] = (shard.ShardId, records.Records[^1].Dynamodb!.SequenceNumber!);
        }
        var split = new SplitShardStreams(stack.StreamsApi, splits);
        await using var invoker = new ObservedInvoker(stack.InProcess());
        var mapping = stack.StartMapping(invoker, streams: split);
        var after = new Traffic(stack, seed: 60);

        await after.RunAsync(operations: 120, pause: TimeSpan.FromMilliseconds(10));
        mapping.AssertRunning();
        var live = await mapping.StopAsync();
        var drain = await stack.DrainAsync(invoker, streams: split);

        var finished = live.Streams.Sum(s => s.ShardsFinished) + drain.Streams.Sum(s => s.ShardsFinished);
        var splitAfter = splits.Values.Select(s => s.SplitAfter).ToList();
        var childRecords = invoker.DeliveredByKey.Values.Sum(q => q.Count(s => splitAfter.All(p => SequenceNumbers.Compare(s, p) > 0)));
        output.WriteLine($"DynamoDB Local shards: {realShards} for 3 streams; {before.Writes}+{after.Writes} writes; parents finished {finished}; "
            + $"{childRecords} records delivered from child shards; log {stack.LogFile}");
        Assert.Equal(3, finished);
        Assert.True(childRecords > 0, "no record came from a child shard");
        // Parent before child: every item's changes were delivered in stream order, across the split.
        foreach (var (key, sequences) in invoker.DeliveredByKey)
        {
            var list = sequences.ToList();
            Assert.True(list.Zip(list.Skip(1)).All(p => SequenceNumbers.Compare(p.First, p.Second) <= 0), $"{key} was delivered out of order: {string.Join(" ", list)}");
        }
        await stack.AssertEndStateAsync(streams: split);
    }
}
