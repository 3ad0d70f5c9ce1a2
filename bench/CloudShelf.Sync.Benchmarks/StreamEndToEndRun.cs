using System.Diagnostics;
using Amazon.DynamoDBv2;
using Amazon.DynamoDBv2.Model;
using Amazon.Runtime;
using CloudShelf.Sync.Dynamo;
using CloudShelf.Sync.Testing;
using static CloudShelf.Sync.Benchmarks.Report;

namespace CloudShelf.Sync.Benchmarks;

/// <summary>
/// DynamoDB Local → <c>stream run</c> → PostgreSQL: throughput and write-to-row latency at a steady
/// write rate and for a burst, with stream-sync in-process and as the published bootstrap. The
/// reference, measured in the same run and interleaved pass by pass with the others, is the same
/// mapping (the project's stream reader, the same settings) over the same kind of stream with a
/// function that does nothing: the floor that DynamoDB Local, polling and the batching window set.
/// What the two real contenders add to it is the cost of stream-sync and PostgreSQL (and of the
/// Runtime API hop for the bootstrap).
/// </summary>
internal static class StreamEndToEndRun
{
    private const int Writers = 4;
    private static readonly TimeSpan ArrivalTimeout = TimeSpan.FromSeconds(120);

    public static async Task RunAsync(BenchOptions options, TextWriter output, CancellationToken cancellationToken)
    {
        var bootstrap = await PublishedBootstrap.PathAsync(cancellationToken);
        await using var postgres = await PostgresServer.StartAsync(cancellationToken);
        await using var dynamo = await DynamoDbLocalServer.StartAsync(cancellationToken);
        using var client = new AmazonDynamoDBClient(new BasicAWSCredentials("local", "local"),
            new AmazonDynamoDBConfig { ServiceURL = dynamo.Endpoint, AuthenticationRegion = "us-east-1" });

        var settings = EndToEndPipeline.Options("(none)");
        var steady = options.StreamRate * options.StreamSeconds;
        output.WriteLine("CloudShelf.Sync end to end: DynamoDB Local -> stream run -> stream-sync -> PostgreSQL");
        output.WriteLine(Invariant($"machine: {Environment.ProcessorCount} cores, {System.Runtime.InteropServices.RuntimeInformation.FrameworkDescription}, load average {LoadAverage()} at the start"));
        output.WriteLine(Invariant($"mapping: template.yaml's settings: BatchSize {settings.BatchSize}, batching window {settings.BatchWindow.TotalSeconds:0} s, ParallelizationFactor {settings.Parallelization}, shard polled every {settings.PollInterval.TotalMilliseconds:0} ms when caught up"));
        output.WriteLine(Invariant($"writes: new book items, one PutItem each, {Writers} writers; steady: {options.StreamRate} puts/s for {options.StreamSeconds} s ({steady} records); burst: {options.StreamBurst} records as fast as the writers go"));
        output.WriteLine(Invariant($"{options.StreamPasses} measured passes per contender and kind, interleaved (reference, in-process, bootstrap, reference, ...), after one warm-up pass each"));
        output.WriteLine();

        var pipelines = new List<EndToEndPipeline>();
        try
        {
            foreach (var (name, kind) in new[] { ("reference", PipelineKind.NoOp), ("in-process", PipelineKind.InProcess), ("bootstrap", PipelineKind.Bootstrap) })
                pipelines.Add(await EndToEndPipeline.StartAsync(name, kind, bootstrap, client, dynamo.Endpoint, postgres, cancellationToken));

            foreach (var pipeline in pipelines)
                await PassAsync(pipeline, client, "warm-", Math.Max(50, options.StreamRate), options.StreamRate, cancellationToken);

            var results = pipelines.ToDictionary(p => p.Name, _ => (Steady: new List<EndToEndPass>(), Burst: new List<EndToEndPass>()));
            for (var pass = 0; pass < options.StreamPasses; pass++)
            {
                foreach (var pipeline in pipelines)
                    results[pipeline.Name].Steady.Add(await PassAsync(pipeline, client, $"s{pass}-", steady, options.StreamRate, cancellationToken));
                if (options.StreamBurst > 0)
                {
                    foreach (var pipeline in pipelines)
                        results[pipeline.Name].Burst.Add(await PassAsync(pipeline, client, $"b{pass}-", options.StreamBurst, null, cancellationToken));
                }
                Console.Error.WriteLine($"pass {pass + 1}/{options.StreamPasses}");
            }

            foreach (var pipeline in pipelines)
            {
                if (pipeline.Summary.BatchesToOnFailure > 0 || pipeline.Summary.Gaps > 0)
                    throw new InvalidOperationException($"{pipeline.Name}: {pipeline.Summary.BatchesToOnFailure} batches went to the on-failure destination, {pipeline.Summary.Gaps} gaps.");
            }

            Print(output, Invariant($"steady {options.StreamRate} puts/s for {options.StreamSeconds} s"), results.ToDictionary(r => r.Key, r => r.Value.Steady));
            if (options.StreamBurst > 0)
                Print(output, Invariant($"burst of {options.StreamBurst} puts"), results.ToDictionary(r => r.Key, r => r.Value.Burst));
            output.WriteLine();
            output.WriteLine("latency: from sending a record's PutItem to its row's synced_at (now() of the transaction that wrote it),");
            output.WriteLine("or for the reference to the moment the no-op function received it; throughput: records / (first put sent .. last arrival).");
            output.WriteLine("The idle mappings keep polling their own streams during the other contenders' passes: a constant background for all three.");
        }
        finally
        {
            foreach (var pipeline in pipelines) await pipeline.DisposeAsync();
        }
    }

    private static async Task<EndToEndPass> PassAsync(EndToEndPipeline pipeline, IAmazonDynamoDB client, string prefix, int count, int? rate,
        CancellationToken cancellationToken)
    {
        var keys = Enumerable.Range(0, count).Select(i => prefix + i.ToString("D6", System.Globalization.CultureInfo.InvariantCulture)).ToArray();
        var sent = new DateTimeOffset[count];
        var first = DateTimeOffset.UtcNow;
        var start = Stopwatch.GetTimestamp();
        await Task.WhenAll(Enumerable.Range(0, Writers).Select(w => Task.Run(async () =>
        {
            for (var i = w; i < count; i += Writers)
            {
                if (rate is { } perSecond)
                {
                    // Steady: record i is due i/rate seconds after the start, whatever the earlier puts took.
                    var due = TimeSpan.FromSeconds((double)i / perSecond) - Stopwatch.GetElapsedTime(start);
                    if (due > TimeSpan.Zero) await Task.Delay(due, cancellationToken);
                }
                var item = Items.Book(keys[i], "24.99", i % 100).ToDictionary(a => a.Key, a => SdkValues.ToSdk(a.Value));
                sent[i] = DateTimeOffset.UtcNow;
                await client.PutItemAsync(new PutItemRequest { TableName = pipeline.Table, Item = item }, cancellationToken);
            }
        }, cancellationToken)));
        var writeSeconds = Stopwatch.GetElapsedTime(start).TotalSeconds;

        var arrivals = await pipeline.ArrivalsAsync(keys, prefix, ArrivalTimeout, cancellationToken);
        var latencies = keys.Select((k, i) => (arrivals[k] - sent[i]).TotalMilliseconds).ToList();
        return new EndToEndPass(count, writeSeconds, (arrivals.Values.Max() - first).TotalSeconds, latencies);
    }

    private static void Print(TextWriter output, string title, Dictionary<string, List<EndToEndPass>> results)
    {
        output.WriteLine();
        output.WriteLine(Invariant($"== {title} =="));
        output.WriteLine(Invariant($"{"contender",-11} {"records",8} {"puts/s",8} {"throughput/s",13} {"p50 ms",8} {"p99 ms",8} {"max ms",8}"));
        var latency = results.ToDictionary(r => r.Key, r => Pooled(r.Value));
        foreach (var (name, passes) in results)
        {
            var l = latency[name];
            output.WriteLine(Invariant(
                $"{name,-11} {passes.Sum(p => p.Records),8} {passes.Sum(p => p.Records) / passes.Sum(p => p.WriteSeconds),8:F0} {Median(passes.Select(p => p.Throughput)),13:F0} {l.Median,8:F0} {l.Quantile(0.99),8:F0} {l.Quantile(1),8:F0}"));
        }
        Ratio(output, "in-process / reference", results["in-process"], results["reference"]);
        Ratio(output, "bootstrap / reference ", results["bootstrap"], results["reference"]);
        Ratio(output, "bootstrap / in-process", results["bootstrap"], results["in-process"]);
    }

    /// <summary>
    /// Latency and throughput of one contender as multiples of another's, pooled over the passes,
    /// with the range of the per-pass ratios (pass i of both ran back to back, so they saw the same noise).
    /// </summary>
    private static void Ratio(TextWriter output, string label, List<EndToEndPass> contender, List<EndToEndPass> reference)
    {
        var c = Pooled(contender);
        var r = Pooled(reference);
        var p50 = contender.Zip(reference, (a, b) => a.Latency().Median / b.Latency().Median).ToList();
        var throughput = contender.Zip(reference, (a, b) => a.Throughput / b.Throughput).ToList();
        output.WriteLine(Invariant(
            $"{label}  p50 {c.Median / r.Median:F2} x ({c.Median - r.Median:+0;-0} ms), p99 {c.Quantile(0.99) / r.Quantile(0.99):F2} x ({c.Quantile(0.99) - r.Quantile(0.99):+0;-0} ms), throughput {Median(contender.Select(p => p.Throughput)) / Median(reference.Select(p => p.Throughput)):F2} x") +
            Invariant($"   (per pass: p50 {p50.Min():F2}..{p50.Max():F2} x, throughput {throughput.Min():F2}..{throughput.Max():F2} x)"));
    }

    private static Samples Pooled(IEnumerable<EndToEndPass> passes)
    {
        var samples = new Samples();
        foreach (var value in passes.SelectMany(p => p.LatencyMilliseconds)) samples.Add(value);
        return samples;
    }

    private static double Median(IEnumerable<double> values)
    {
        var samples = new Samples();
        foreach (var value in values) samples.Add(value);
        return samples.Median;
    }
}
