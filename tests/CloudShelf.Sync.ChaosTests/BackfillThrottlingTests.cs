using CloudShelf.Sync.Backfill;
using CloudShelf.Sync.ChaosTests.Harness;
using CloudShelf.Sync.Configuration;
using CloudShelf.Sync.Hosting;
using CloudShelf.Sync.Observability;
using Xunit.Abstractions;
using static CloudShelf.Sync.Testing.Items;

namespace CloudShelf.Sync.ChaosTests;

/// <summary>
/// Scenario 9: the backfill's Scans are throttled (ProvisionedThroughputExceededException over HTTP, from
/// a proxy in front of DynamoDB Local) while it races the stream over the same items: items written
/// before the streams were enabled, then updated, deleted and re-inserted by live traffic.
/// </summary>
[Collection(ChaosCollection.Name)]
public sealed class BackfillThrottlingTests(ChaosServers servers, ITestOutputHelper output)
{
    private const int Seeded = 30;

    [Fact]
    public async Task A_throttled_backfill_racing_the_stream_completes_and_loses_nothing()
    {
        await using var stack = await ChaosStack.CreateAsync(servers, "backfill-throttle", streams: false);
        for (var i = 0; i < Seeded; i++)
        {
            await stack.PutAsync(stack.Books, Book($"book-{i}", stock: i));
            await stack.PutAsync(stack.Users, User($"user-{i}", $"seeded-{i}@example.com"));
            await stack.PutAsync(stack.Orders, Order($"order-{i}", 1 + i % 3));
        }
        await stack.EnableStreamsAsync();
        // The first Scans in a row (beyond the SDK's own retries), then two in every three.
        await using var proxy = new ThrottlingProxy(servers.Dynamo.Endpoint, scan => scan <= 4 || scan % 3 != 0);
        var backfillSettings = new Dictionary<string, string>(stack.Environment) { [SyncSettings.DynamoDbEndpointVariable] = proxy.Endpoint };
        await using var backfill = SyncServices.Create(SyncSettings.Load(new DictionaryEnvironment(backfillSettings)), stack.Log,
            new EmfMetrics(TextWriter.Null, "cloudshelf-sync", TimeProvider.System), TimeProvider.System);
        await using var invoker = new ObservedInvoker(stack.InProcess());
        var mapping = stack.StartMapping(invoker);
        var traffic = new Traffic(stack, seed: 9);
        var writing = traffic.RunAsync(operations: 150, pause: TimeSpan.FromMilliseconds(10));

        var summary = await new BackfillRunner(backfill.Backfiller, backfill.DynamoDb).RunAsync(backfill.Mapping.Tables, segments: 2, parallelism: 2,
            new BackfillOptions(PageSize: 5), restart: false, progress: null, CancellationToken.None);
        await writing;
        mapping.AssertRunning();
        await mapping.StopAsync();
        await stack.DrainAsync(invoker);

        var backoffs = File.ReadLines(stack.LogFile).Count(l => l.Contains("Backfill scan throttled", StringComparison.Ordinal));
        output.WriteLine($"{traffic.Writes} writes; backfill scanned {summary.ItemsScanned}, wrote {summary.ItemsWritten}; {proxy.Throttled} of {proxy.Scans} Scans throttled, "
            + $"{backoffs} backfill back-offs after the SDK's retries; log {stack.LogFile}");
        Assert.True(summary.Done, "the backfill did not finish");
        Assert.True(proxy.Throttled > 0, "no Scan was throttled");
        await stack.AssertEndStateAsync();
    }
}
