using System.CommandLine;

namespace CloudShelf.Sync.Cli;

/// <summary><c>migrate</c>: applies what is missing; a second run is a no-op.</summary>
internal static class MigrateCommand
{
    public static Command Create(CliContext cli)
    {
        var command = new Command("migrate", "Apply the PostgreSQL schema migrations that are missing");
        command.SetAction((_, cancellationToken) => RunAsync(cli, cancellationToken));
        return command;
    }

    private static async Task<int> RunAsync(CliContext cli, CancellationToken cancellationToken)
    {
        await using var services = await cli.StartAsync("migrate", cancellationToken);
        var applied = await services.Migrator.MigrateAsync(cancellationToken);
        foreach (var migration in applied) cli.Console.Out.WriteLine($"applied {migration.Name}");
        var version = Postgres.SchemaMigrator.Embedded[^1].Version;
        cli.Console.Out.WriteLine(applied.Count == 0
            ? $"schema is up to date (version {version})"
            : $"schema migrated to version {version} ({applied.Count} migration(s) applied)");
        return ExitCodes.Ok;
    }
}
