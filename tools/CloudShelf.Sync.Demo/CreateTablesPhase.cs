namespace CloudShelf.Sync.Demo;

/// <summary>The four Phase 1 tables, through the AWS SDK.</summary>
internal sealed class CreateTablesPhase : IDemoPhase
{
    public string Title => "Create the Phase 1 tables (books, users, orders, carts)";

    public Task RunAsync(DemoRun run, CancellationToken cancellationToken) => PhaseOneTables.CreateAsync(run.Stack.DynamoDb, cancellationToken);
}
