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
          --logs DIR         where the CLI's logs and the on-failure destination go (default .artifacts/demo/logs)

        The demo starts a throwaway PostgreSQL and DynamoDB Local, seeds the Phase 1 tables, runs
        backfill, stream run and live traffic together, drains, and compares both stores in full.
        exit status: 0 PostgreSQL equals DynamoDB apart from the quarantined defects,
                     1 it does not, 2 the demo could not run
        """;

    public int Books { get; init; } = 2000;

    public int Users { get; init; } = 1000;

    public int Orders { get; init; } = 3000;

    public TimeSpan Traffic { get; init; } = TimeSpan.FromSeconds(30);

    public int Rate { get; init; } = 40;

    public int Seed { get; init; } = 20261201;

    public int Segments { get; init; } = 4;

    /// <summary>Null for .artifacts/demo/logs in the work tree.</summary>
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
