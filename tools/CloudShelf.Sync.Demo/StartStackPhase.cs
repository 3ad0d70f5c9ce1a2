namespace CloudShelf.Sync.Demo;

/// <summary>A throwaway PostgreSQL and DynamoDB Local on free ports; the schema through <c>cloudshelf-sync migrate</c>.</summary>
internal sealed class StartStackPhase : IDemoPhase
{
    public string Title => "Start PostgreSQL and DynamoDB Local, migrate the schema";

    public async Task RunAsync(DemoRun run, CancellationToken cancellationToken)
    {
        await run.Stack.StartAsync(cancellationToken);
        var postgres = new Npgsql.NpgsqlConnectionStringBuilder(run.Stack.PostgresConnection);
        run.Output.WriteLine($"   DynamoDB Local {run.Stack.DynamoDbEndpoint} (in memory, telemetry off); PostgreSQL {postgres.Host}:{postgres.Port} (throwaway cluster)");
        var migrated = await run.Stack.RunCliAsync("migrate", [0], ["migrate"], cancellationToken);
        run.Output.WriteLine("   " + migrated.Trim().ReplaceLineEndings("\n   "));
    }
}
