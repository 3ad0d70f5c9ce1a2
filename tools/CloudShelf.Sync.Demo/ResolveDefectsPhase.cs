using Amazon.DynamoDBv2.Model;

namespace CloudShelf.Sync.Demo;

/// <summary>
/// The operator's step before the final check, which needs an empty quarantine: every genuine defect
/// is fixed at its source, in DynamoDB, as support would (the account that lost the shared e-mail
/// address gets one of its own); the stream carries the fix to PostgreSQL; then <c>quarantine replay</c>
/// finds the refused record superseded by the fixed row and resolves it. Nothing is accepted as is:
/// an entry that is no seeded defect stays open, and the cut-over check says NO-GO.
/// </summary>
internal sealed class ResolveDefectsPhase : IDemoPhase
{
    private static readonly TimeSpan Limit = TimeSpan.FromMinutes(2);

    public string Title => "Resolve the genuine defects: fix them in DynamoDB, let the stream apply them, replay";

    public async Task RunAsync(DemoRun run, CancellationToken cancellationToken)
    {
        var duplicate = run.Catalogue.Defects.Single(d => d.Kind == Catalogue.DuplicateEmail);
        var fixes = new List<(string Key, string Email)>();
        foreach (var entry in run.QuarantineFound.Where(q => q.Table == duplicate.Table && duplicate.Keys.Contains(q.Key)).DistinctBy(q => q.Key))
        {
            var item = await run.Stack.DynamoDb.GetItemAsync(new GetItemRequest
            {
                TableName = PhaseOneTables.Users,
                Key = new() { ["userId"] = Attr.S(entry.Key) },
                ConsistentRead = true,
            }, cancellationToken);
            var old = item.Item?["email"].S ?? throw new InvalidOperationException($"users {entry.Key} has no item in DynamoDB any more.");
            var at = old.IndexOf('@', StringComparison.Ordinal);
            var email = $"{old[..at]}+{entry.Key}{old[at..]}";
            await run.Stack.DynamoDb.UpdateItemAsync(new UpdateItemRequest
            {
                TableName = PhaseOneTables.Users,
                Key = new() { ["userId"] = Attr.S(entry.Key) },
                UpdateExpression = "SET email = :email",
                ExpressionAttributeValues = new() { [":email"] = Attr.S(email) },
            }, cancellationToken);
            fixes.Add((entry.Key, email));
            run.Resolutions.Add($"users {entry.Key}: e-mail shared with another account; given its own address in DynamoDB (UpdateItem), the stream applied it, replay resolved the refused record");
        }
        run.Events.Add(new DemoEvent(run.Time.GetUtcNow(), "defects fixed"));
        foreach (var (key, email) in fixes)
        {
            await WaitForRowAsync(run, key, email, cancellationToken);
            run.Output.WriteLine($"   users {key}: e-mail changed in DynamoDB; its row is in PostgreSQL now");
        }

        run.ResolutionReplaySummary = await ReplayPhase.ReplayAsync(run, "quarantine-replay-fixed", cancellationToken);
        run.Output.WriteLine("   " + run.ResolutionReplaySummary);
        var open = await ReplayPhase.ListAsync(run, "quarantine-list-fixed", cancellationToken);
        run.Output.WriteLine($"   quarantine: {open.Count} open record(s)");
        foreach (var q in open) run.Output.WriteLine($"   still open: #{q.Id} {q.Table} {q.Key} [{q.ErrorCode}] {q.Reason}");
    }

    /// <summary>Polls PostgreSQL until the fixed item's row carries the new address: stream-sync applied the fix.</summary>
    private static async Task WaitForRowAsync(DemoRun run, string key, string email, CancellationToken cancellationToken)
    {
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        limit.CancelAfter(Limit);
        try
        {
            while (true)
            {
                var users = run.Stack.Mapping.ForTable("users")!;
                await using var command = run.Stack.DataSource.CreateCommand($"SELECT count(*) FROM {users.Schema}.{users.Table} WHERE {users.KeyColumn} = $1 AND email = $2");
                command.Parameters.Add(new Npgsql.NpgsqlParameter { Value = key });
                command.Parameters.Add(new Npgsql.NpgsqlParameter { Value = email });
                if ((long)(await command.ExecuteScalarAsync(limit.Token))! > 0) return;
                await Task.Delay(TimeSpan.FromMilliseconds(250), run.Time, limit.Token);
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new InvalidOperationException($"The fix of users {key} did not reach PostgreSQL within {Limit.TotalMinutes:0} minutes; see {run.Stack.LogDirectory}/stream-live.log.");
        }
    }
}
