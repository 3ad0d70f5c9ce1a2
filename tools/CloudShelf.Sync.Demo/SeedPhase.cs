using System.Diagnostics;

namespace CloudShelf.Sync.Demo;

/// <summary>
/// The generated catalogue with its defects, written before the streams are enabled so that only
/// the backfill can load it; then the streams go on, before the backfill starts, as the design requires.
/// </summary>
internal sealed class SeedPhase : IDemoPhase
{
    public string Title => "Seed the catalogue (Bogus), then enable the streams (NEW_AND_OLD_IMAGES)";

    public async Task RunAsync(DemoRun run, CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        var catalogue = Catalogue.Generate(run.Options);
        run.Catalogue = catalogue;
        var client = run.Stack.DynamoDb;
        await PhaseOneTables.PutAllAsync(client, PhaseOneTables.Books, catalogue.Books, cancellationToken);
        await PhaseOneTables.PutAllAsync(client, PhaseOneTables.Users, catalogue.Users, cancellationToken);
        await PhaseOneTables.PutAllAsync(client, PhaseOneTables.Orders, catalogue.Orders, cancellationToken);
        var lines = catalogue.Orders.Sum(o => o["items"].L.Count);
        run.Output.WriteLine(FormattableString.Invariant(
            $"   {catalogue.Books.Count} books, {catalogue.Users.Count} users, {catalogue.Orders.Count} orders ({lines} lines) in {Stopwatch.GetElapsedTime(started).TotalSeconds:F1} s, seed {run.Options.Seed}"));
        foreach (var defect in catalogue.Defects)
            run.Output.WriteLine($"   defect: {defect.Table} {string.Join(" + ", defect.Keys)}: {defect.Kind}; expected: {defect.Expected}");
        await PhaseOneTables.EnableStreamsAsync(client, cancellationToken);
    }
}
