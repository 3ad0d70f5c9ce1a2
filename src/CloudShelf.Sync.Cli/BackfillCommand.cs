using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using CloudShelf.Sync.Backfill;
using CloudShelf.Sync.Configuration;
using CloudShelf.Sync.Mapping;

namespace CloudShelf.Sync.Cli;

/// <summary>
/// <c>backfill [--tables T,...] [--segments N] [--parallel N] [--rate RCU] [--page-size N] [--restart] [--json]</c>:
/// loads the items that existed before the streams were enabled; resumes from its checkpoints.
/// </summary>
internal static class BackfillCommand
{
    public static async Task<int> RunAsync(IEnumerable<string> args, CliConsole console, IEnvironment environment, TimeProvider time, CancellationToken cancellationToken)
    {
        var parsed = CliArguments.Parse(args,
            new HashSet<string> { "--tables", "--segments", "--parallel", "--rate", "--page-size" },
            new HashSet<string> { "--restart", "--json" });
        if (parsed.Positional.Count > 0) throw new UsageException($"backfill takes no arguments, got '{parsed.Positional[0]}'.");
        var segments = Whole(parsed.Value("--segments"), "--segments", 4, 1, 1_000_000);
        var parallel = Whole(parsed.Value("--parallel"), "--parallel", Math.Min(segments, 8), 1, 64);
        var pageSize = Whole(parsed.Value("--page-size"), "--page-size", 500, 1, 10_000);
        double? rate = null;
        if (parsed.Value("--rate") is { } rateText)
        {
            if (!double.TryParse(rateText, NumberStyles.Float, CultureInfo.InvariantCulture, out var r) || r <= 0)
                throw new UsageException($"--rate must be read capacity units per second (a positive number), got '{rateText}'.");
            rate = r;
        }

        await using var services = await CliApplication.StartAsync(console, environment, time, "backfill", cancellationToken);
        var tables = SelectTables(services.Mapping, parsed.Value("--tables"));
        await services.Migrator.EnsureCompatibleAsync(cancellationToken);
        var runner = new BackfillRunner(services.Backfiller, services.DynamoDb);
        var estimate = await runner.EstimateItemsAsync(tables, cancellationToken);

        var bar = new ProgressBar(console, estimate, time);
        var summary = await runner.RunAsync(tables, segments, parallel, new BackfillOptions(pageSize, rate), parsed.Flag("--restart"), bar, cancellationToken);
        bar.Finish();

        if (parsed.Flag("--json"))
        {
            console.Out.WriteLine(JsonSerializer.Serialize(new Dictionary<string, long>
            {
                ["itemsScanned"] = summary.ItemsScanned,
                ["itemsWritten"] = summary.ItemsWritten,
                ["segments"] = summary.Segments.Count,
                ["segmentsDone"] = summary.Segments.Count(s => s.Done),
            }, CliJsonContext.Default.DictionaryStringInt64));
        }
        else
        {
            foreach (var table in summary.Segments.GroupBy(s => s.SourceTable))
                console.Out.WriteLine($"{table.Key}: {table.Sum(s => s.ItemsScanned)} items scanned, {table.Sum(s => s.ItemsWritten)} written, " +
                                      $"{table.Count(s => s.Done)}/{table.Count()} segments done");
            console.Out.WriteLine($"backfill {(summary.Done ? "complete" : "incomplete")}: {summary.ItemsScanned} items scanned, " +
                                  $"{summary.ItemsWritten} written in {bar.Elapsed.TotalSeconds:F1} s");
        }
        return summary.Done ? ExitCodes.Ok : ExitCodes.Problem;
    }

    private static List<TableMapping> SelectTables(SyncMapping mapping, string? names)
    {
        if (string.IsNullOrWhiteSpace(names)) return mapping.Tables.ToList();
        return names.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(n => mapping.ForTable(n) ?? mapping.ForSourceTable(n)
                         ?? throw new UsageException($"--tables: '{n}' is not a synced table ({string.Join(", ", mapping.Tables.Select(t => t.Table))})."))
            .Distinct()
            .ToList();
    }

    private static int Whole(string? text, string option, int fallback, int min, int max)
    {
        if (text is null) return fallback;
        return int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value) && value >= min && value <= max
            ? value
            : throw new UsageException($"{option} must be a whole number from {min} to {max}, got '{text}'.");
    }

    /// <summary>Items/s and ETA on an interactive stderr, redrawn at most every 200 ms; nothing otherwise.</summary>
    private sealed class ProgressBar(CliConsole console, long estimate, TimeProvider time) : IProgress<int>
    {
        private readonly long _started = time.GetTimestamp();
        private readonly Lock _gate = new();
        private long _items;
        private long _drawn;

        public TimeSpan Elapsed => time.GetElapsedTime(_started);

        public void Report(int value)
        {
            lock (_gate)
            {
                _items += value;
                if (!console.IsInteractive || Stopwatch.GetElapsedTime(_drawn).TotalMilliseconds < 200) return;
                _drawn = Stopwatch.GetTimestamp();
                Draw();
            }
        }

        private void Draw()
        {
            var seconds = Math.Max(Elapsed.TotalSeconds, 0.001);
            var rate = _items / seconds;
            var fraction = estimate > 0 ? Math.Min(1, (double)_items / estimate) : 0;
            var filled = (int)(fraction * 30);
            var eta = rate > 0 && estimate > _items ? TimeSpan.FromSeconds((estimate - _items) / rate).ToString(@"h\:mm\:ss", CultureInfo.InvariantCulture) : "-";
            console.Error.Write(string.Create(CultureInfo.InvariantCulture,
                $"\r[{new string('#', filled)}{new string('-', 30 - filled)}] {fraction,4:P0} {_items:N0}/{estimate:N0} items  {rate:N0} items/s  ETA {eta}   "));
        }

        public void Finish()
        {
            lock (_gate)
            {
                if (!console.IsInteractive) return;
                Draw();
                console.Error.WriteLine();
            }
        }
    }
}
