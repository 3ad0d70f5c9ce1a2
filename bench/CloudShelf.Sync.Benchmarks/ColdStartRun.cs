using System.Globalization;
using CloudShelf.Sync.Configuration;
using CloudShelf.Sync.Hosting;
using CloudShelf.Sync.Observability;
using CloudShelf.Sync.Testing;

namespace CloudShelf.Sync.Benchmarks;

/// <summary>
/// Cold start as Lambda pays it: a new bootstrap process, an invocation already waiting at the
/// Runtime API, time from process start to the posted response (start-up, the PostgreSQL
/// connection and migration check, the first batch), and the peak resident set size. The JIT
/// build of the same code is measured in the same run as a reference.
/// </summary>
internal static class ColdStartRun
{
    private const double TargetMilliseconds = 100;
    private const double TargetMegabytes = 64;

    public static async Task RunAsync(BenchOptions options, TextWriter output, CancellationToken cancellationToken)
    {
        var root = RepositoryRoot.Find();
        var aot = await PublishedBootstrap.PathAsync(cancellationToken);
        var jit = Path.Combine(root, "src", "CloudShelf.Sync.Functions", "bin", "Release", "net10.0", "bootstrap.dll");
        await using var server = await PostgresServer.StartAsync(cancellationToken);
        var connection = await server.CreateDatabaseAsync(ct: cancellationToken);
        // A deployed stage's schema is already current: the cold start only checks it.
        await using (var services = SyncServices.Create(
            SyncSettings.Load(new DictionaryEnvironment(new Dictionary<string, string> { [SyncSettings.PostgresConnectionVariable] = connection })),
            NullLog.Instance, new EmfMetrics(TextWriter.Null, "bench", TimeProvider.System), TimeProvider.System))
        {
            await services.Migrator.MigrateAsync(cancellationToken);
        }
        var payload = await File.ReadAllBytesAsync(Path.Combine(root, "events", "books-insert.json"), cancellationToken);

        output.WriteLine("CloudShelf.Sync cold start");
        output.WriteLine($"machine: {Environment.ProcessorCount} cores, {System.Runtime.InteropServices.RuntimeInformation.FrameworkDescription}");
        output.WriteLine($"each start: new process, one stream-sync invocation (events/books-insert.json) waiting at a local Runtime API, PostgreSQL on loopback");
        output.WriteLine();
        output.WriteLine($"{"build",-12} {"starts",6} {"first response ms (median, max)",32} {"peak RSS MB (median, max)",28}");
        var aotResult = await MeasureAsync(aot, [], options.Starts, connection, payload, cancellationToken);
        Print(output, "Native AOT", aotResult);
        if (File.Exists(jit))
            Print(output, "JIT", await MeasureAsync("dotnet", [jit], Math.Min(options.Starts, 5), connection, payload, cancellationToken));
        else
            output.WriteLine($"JIT          (not measured: build the solution in Release first, {jit} is missing)");

        var ms = Median(aotResult.Select(r => r.Milliseconds));
        var mb = Median(aotResult.Select(r => r.Megabytes));
        output.WriteLine();
        output.WriteLine($"target: first response <= {TargetMilliseconds} ms and peak RSS <= {TargetMegabytes} MB (Native AOT medians): " +
                         $"{(ms <= TargetMilliseconds ? "PASS" : "MISS")} {ms:F0} ms, {(mb <= TargetMegabytes ? "PASS" : "MISS")} {mb:F1} MB");
    }

    private static async Task<List<(double Milliseconds, double Megabytes)>> MeasureAsync(
        string executable, string[] arguments, int starts, string connection, byte[] payload, CancellationToken cancellationToken)
    {
        var results = new List<(double, double)>();
        for (var i = 0; i < starts; i++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            await using var api = FakeRuntimeApi.Start();
            var environment = new Dictionary<string, string>
            {
                ["AWS_LAMBDA_RUNTIME_API"] = api.HostAndPort,
                ["_HANDLER"] = "stream-sync",
                ["AWS_LAMBDA_FUNCTION_NAME"] = "cloudshelf-sync-bench-stream-sync",
                ["AWS_REGION"] = "eu-west-1",
                [SyncSettings.PostgresConnectionVariable] = connection,
                [SyncSettings.LogLevelVariable] = "WARN",
            };
            // Queued first, as Lambda holds the event that caused the cold start.
            var response = api.InvokeAsync(payload);
            await using var process = BootstrapProcess.Start(executable, arguments, environment);
            var outcome = await response;
            if (outcome.Kind != "response")
                throw new InvalidOperationException($"The bootstrap answered {outcome.Kind}: {outcome.Body}\n{process.Output}");
            results.Add(((outcome.At - process.StartedAt).TotalMilliseconds, process.PeakResidentBytes() / 1024d / 1024d));
        }
        return results;
    }

    private static void Print(TextWriter output, string build, List<(double Milliseconds, double Megabytes)> results) =>
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{build,-12} {results.Count,6} {$"{Median(results.Select(r => r.Milliseconds)):F0}, {results.Max(r => r.Milliseconds):F0}",32} {$"{Median(results.Select(r => r.Megabytes)):F1}, {results.Max(r => r.Megabytes):F1}",28}"));

    private static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToList();
        return sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[sorted.Count / 2 - 1] + sorted[sorted.Count / 2]) / 2;
    }
}
