using System.Globalization;

namespace CloudShelf.Sync.Benchmarks;

/// <summary>A command line the harness cannot run with.</summary>
internal sealed class UsageException(string message) : Exception(message);

/// <summary>The command line, parsed by hand: four options do not need a parser library.</summary>
internal sealed record BenchOptions
{
    public const string Usage = """
        usage: CloudShelf.Sync.Benchmarks [--rounds N] [--warmup N] [--batch N] [--no-breakdown]
               CloudShelf.Sync.Benchmarks --cold-start [--starts N]
               CloudShelf.Sync.Benchmarks --backfill [--items N] [--dynamo dynalite|dynamodb-local]
               CloudShelf.Sync.Benchmarks --drift [--items N] [--dynamo dynamodb-local|dynalite] [--no-breakdown]
               CloudShelf.Sync.Benchmarks --stream [--rate N] [--seconds S] [--burst N] [--passes N]

          --rounds N       measured rounds per phase (default 20)
          --warmup N       warm-up rounds per phase, not reported (default 5)
          --batch N        records per batch (default 1000)
          --no-breakdown   skip the parse/map/write split of stream-apply (with --drift: the split of a pass)
          --cold-start     instead: start the published bootstrap N times against a local Runtime API
                           and report process start to first response, and peak RSS
          --starts N       cold starts to measure (default 15)
          --backfill       instead: backfill items/s against a scan-only pass and COPY, at N and 10 N items,
                           and the CLI backfill's peak RSS at both sizes
          --drift          instead: drift comparison items/s against a scan-only pass of the same table,
                           interleaved, at N and 10 N items, and the CLI drift's peak RSS at both sizes
          --items N        the smaller table size for --backfill and --drift (default 5000)
          --dynamo NAME    the local DynamoDB of --backfill and --drift: dynamodb-local (AWS's DynamoDB Local,
                           the default of --drift) or dynalite (the default of --backfill, whose published
                           figures it gave)
          --stream         instead: DynamoDB Local -> stream run -> PostgreSQL, stream-sync in-process and as the
                           bootstrap, against the same mapping with a no-op function: throughput, write-to-row p50/p99
          --rate N         steady puts per second for --stream (default 200)
          --seconds S      how long each steady pass of --stream writes (default 4)
          --burst N        records per burst pass of --stream, written as fast as possible (default 1000; 0: none)
          --passes N       measured passes per contender for --stream (default 3)

        environment: CLOUDSHELF_PG_CONNECTION to use an existing server instead of a throwaway cluster
        exit status: 0 the report was printed (whatever it says), 1 the run failed, 2 bad command line
        """;

    public int Rounds { get; init; } = 20;

    public int Warmup { get; init; } = 5;

    public int Batch { get; init; } = 1000;

    public bool Breakdown { get; init; } = true;

    public bool Help { get; init; }

    public bool ColdStart { get; init; }

    public int Starts { get; init; } = 15;

    public bool Backfill { get; init; }

    public int BackfillItems { get; init; } = 5000;

    public bool Drift { get; init; }

    /// <summary>The local DynamoDB asked for; null: the run's own default.</summary>
    public LocalDynamo? Dynamo { get; init; }

    public bool Stream { get; init; }

    public int StreamRate { get; init; } = 200;

    public int StreamSeconds { get; init; } = 4;

    public int StreamBurst { get; init; } = 1000;

    public int StreamPasses { get; init; } = 3;

    public static BenchOptions Parse(IReadOnlyList<string> args)
    {
        var options = new BenchOptions();
        for (var i = 0; i < args.Count; i++)
        {
            options = args[i] switch
            {
                "--rounds" => options with { Rounds = Number(args, ref i, min: 1) },
                "--warmup" => options with { Warmup = Number(args, ref i, min: 0) },
                // A DynamoDB Streams event source delivers at most 10,000 records per batch.
                "--batch" => options with { Batch = Number(args, ref i, min: 1, max: 10_000) },
                "--no-breakdown" => options with { Breakdown = false },
                "--cold-start" => options with { ColdStart = true },
                "--starts" => options with { Starts = Number(args, ref i, min: 1, max: 1000) },
                "--backfill" => options with { Backfill = true },
                "--drift" => options with { Drift = true },
                "--stream" => options with { Stream = true },
                "--rate" => options with { StreamRate = Number(args, ref i, min: 1, max: 10_000) },
                "--seconds" => options with { StreamSeconds = Number(args, ref i, min: 1, max: 3600) },
                "--burst" => options with { StreamBurst = Number(args, ref i, min: 0, max: 1_000_000) },
                "--passes" => options with { StreamPasses = Number(args, ref i, min: 1, max: 100) },
                "--items" => options with { BackfillItems = Number(args, ref i, min: 100, max: 1_000_000) },
                "--dynamo" => options with { Dynamo = Implementation(args, ref i) },
                "-h" or "--help" => options with { Help = true },
                _ => throw new UsageException($"Unknown option '{args[i]}'."),
            };
        }
        return options;
    }

    private static LocalDynamo Implementation(IReadOnlyList<string> args, ref int i)
    {
        if (++i >= args.Count) throw new UsageException("--dynamo needs dynamodb-local or dynalite.");
        return args[i] switch
        {
            "dynamodb-local" => LocalDynamo.DynamoDbLocal,
            "dynalite" => LocalDynamo.Dynalite,
            _ => throw new UsageException($"--dynamo '{args[i]}' is neither dynamodb-local nor dynalite."),
        };
    }

    private static int Number(IReadOnlyList<string> args, ref int i, int min, int max = 1_000_000)
    {
        var name = args[i];
        if (++i >= args.Count) throw new UsageException($"{name} needs a number.");
        if (!int.TryParse(args[i], NumberStyles.None, CultureInfo.InvariantCulture, out var value) || value < min || value > max)
            throw new UsageException($"{name} '{args[i]}' is not a whole number from {min} to {max}.");
        return value;
    }
}
