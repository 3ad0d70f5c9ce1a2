using System.Globalization;

namespace CloudShelf.Sync.Demo;

/// <summary>The demo's command line, parsed by hand: a handful of numbers needs no parser library.</summary>
internal sealed record DemoOptions
{
    public const string Usage = """
        usage: make demo [DEMO_ARGS="..."]
               dotnet tools/CloudShelf.Sync.Demo/bin/Release/net10.0/CloudShelf.Sync.Demo.dll [options]

          --books N          books seeded before the stream is enabled (default 2000)
          --users N          users seeded (default 1000)
          --orders N         orders seeded, 1 to 4 lines each referencing seeded books (default 3000)
          --traffic S        seconds of live Phase 1 traffic during the backfill (default 30)
          --rate N           traffic writes per second, all tables together (default 40)
          --seed N           seed of the generated catalogue and traffic (default 20261201)
          --segments N       backfill scan segments per table (default 4)
          --lag-every S      sync-lag's schedule during the run, in seconds (default 5; the template's is 1 minute)
          --drift-every S    drift-detector's schedule during the run, in seconds (default 20; the template's is 15 minutes)
          --bootstrap PATH   the published stream-sync bootstrap (default .artifacts/lambda/bootstrap; make demo builds it)
          --out DIR          where report.html goes (default .artifacts/demo)
          --logs DIR         where the CLI's logs and the on-failure destination go (default OUT/logs)

        The demo starts a throwaway PostgreSQL and DynamoDB Local, seeds the Phase 1 tables, runs
        backfill, stream run (the published bootstrap) and live traffic together with sync-lag and
        drift-detector on their schedules, freezes the writes, resolves the quarantine, runs the final
        cut-over check, compares both stores in full and writes the report (terminal and OUT/report.html).
        exit status: 0 GO and PostgreSQL equals DynamoDB, 1 NO-GO or a difference, 2 the demo could not run
        """;

    public int Books { get; init; } = 2000;

    public int Users { get; init; } = 1000;

    public int Orders { get; init; } = 3000;

    public TimeSpan Traffic { get; init; } = TimeSpan.FromSeconds(30);

    public int Rate { get; init; } = 40;

    public int Seed { get; init; } = 20261201;

    public int Segments { get; init; } = 4;

    public TimeSpan LagEvery { get; init; } = TimeSpan.FromSeconds(5);

    public TimeSpan DriftEvery { get; init; } = TimeSpan.FromSeconds(20);

    /// <summary>Null for .artifacts/lambda/bootstrap in the work tree.</summary>
    public string? Bootstrap { get; init; }

    /// <summary>Null for .artifacts/demo in the work tree.</summary>
    public string? Out { get; init; }

    /// <summary>Null for logs under <see cref="Out"/>.</summary>
    public string? Logs { get; init; }

    public bool Help { get; init; }

    public static DemoOptions Parse(IReadOnlyList<string> args)
    {
        var options = new DemoOptions();
        for (var i = 0; i < args.Count; i++)
        {
            options = args[i] switch
            {
                // The defects and the e-mail handover need a few users and books of their own.
                "--books" => options with { Books = Number(args, ref i, min: 10, max: 5_000_000) },
                "--users" => options with { Users = Number(args, ref i, min: 10, max: 5_000_000) },
                "--orders" => options with { Orders = Number(args, ref i, min: 1, max: 10_000_000) },
                "--traffic" => options with { Traffic = TimeSpan.FromSeconds(Number(args, ref i, min: 1, max: 3600)) },
                "--rate" => options with { Rate = Number(args, ref i, min: 1, max: 5000) },
                "--seed" => options with { Seed = Number(args, ref i, min: 0, max: int.MaxValue) },
                "--segments" => options with { Segments = Number(args, ref i, min: 1, max: 64) },
                "--lag-every" => options with { LagEvery = TimeSpan.FromSeconds(Number(args, ref i, min: 1, max: 600)) },
                "--drift-every" => options with { DriftEvery = TimeSpan.FromSeconds(Number(args, ref i, min: 1, max: 3600)) },
                "--bootstrap" => options with { Bootstrap = Text(args, ref i) },
                "--out" => options with { Out = Text(args, ref i) },
                "--logs" => options with { Logs = Text(args, ref i) },
                "-h" or "--help" => options with { Help = true },
                _ => throw new UsageException($"Unknown option '{args[i]}'."),
            };
        }
        return options;
    }

    private static string Text(IReadOnlyList<string> args, ref int i)
    {
        var name = args[i];
        if (++i >= args.Count || args[i].Length == 0) throw new UsageException($"{name} needs a value.");
        return args[i];
    }

    private static int Number(IReadOnlyList<string> args, ref int i, int min, int max)
    {
        var name = args[i];
        if (++i >= args.Count) throw new UsageException($"{name} needs a number.");
        if (!int.TryParse(args[i], NumberStyles.None, CultureInfo.InvariantCulture, out var value) || value < min || value > max)
            throw new UsageException($"{name} '{args[i]}' is not a whole number from {min} to {max}.");
        return value;
    }
}
