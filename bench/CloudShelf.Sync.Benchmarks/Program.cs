using CloudShelf.Sync.Benchmarks;

// Stream-apply throughput against two references measured in the same run: binary COPY (what the
// database can ingest at best) and a naive per-record upsert handler. It is a report: a MISS is
// not an error, so the exit status is 0 whenever the report was printed.

BenchOptions options;
try
{
    options = BenchOptions.Parse(args);
}
catch (UsageException e)
{
    await Console.Error.WriteLineAsync($"error: {e.Message}\n\n{BenchOptions.Usage}");
    return 2;
}
if (options.Help)
{
    Console.WriteLine(BenchOptions.Usage);
    return 0;
}

using var cancellation = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true;
    cancellation.Cancel();
};

try
{
    if (options.ColdStart) await ColdStartRun.RunAsync(options, Console.Out, cancellation.Token);
    else if (options.Backfill) await BackfillBenchRun.RunAsync(options, Console.Out, cancellation.Token);
    else if (options.Drift) await DriftBenchRun.RunAsync(options, Console.Out, cancellation.Token);
    else if (options.Stream) await StreamEndToEndRun.RunAsync(options, Console.Out, cancellation.Token);
    else await BenchRun.RunAsync(options, Console.Out, cancellation.Token);
    return 0;
}
catch (OperationCanceledException) when (cancellation.IsCancellationRequested)
{
    await Console.Error.WriteLineAsync("cancelled");
    return 1;
}
catch (Exception e)
{
    await Console.Error.WriteLineAsync($"error: the benchmark failed: {e}");
    return 1;
}
