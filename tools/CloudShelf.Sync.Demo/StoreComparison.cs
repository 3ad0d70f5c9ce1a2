using CloudShelf.Sync.Dynamo;
using CloudShelf.Sync.Postgres;
using CloudShelf.Sync.Streams;

namespace CloudShelf.Sync.Demo;

/// <summary>
/// Scans both stores in full and compares them item by item: every DynamoDB item must have a row
/// whose rebuilt item (the mapping's row → item inverse) equals it, and no row may lack an item.
/// </summary>
internal static class StoreComparison
{
    private const int ShownPerTable = 5;

    public static async Task<List<TableComparison>> CompareAsync(DemoStack stack, IReadOnlySet<(string Table, string Key)> quarantined, CancellationToken cancellationToken)
    {
        var results = new List<TableComparison>();
        var reader = new RowReader(stack.DataSource);
        foreach (var mapping in stack.Mapping.Tables)
        {
            var result = new TableComparison { Table = mapping.Table };
            var dynamo = await PhaseOneTables.ScanAsync(stack.DynamoDb, mapping.SourceTable, mapping.KeyAttribute, cancellationToken);
            var keys = new List<string>();
            await using (var command = stack.DataSource.CreateCommand($"SELECT {mapping.KeyColumn} FROM {mapping.Schema}.{mapping.Table}"))
            await using (var rowsReader = await command.ExecuteReaderAsync(cancellationToken))
            {
                while (await rowsReader.ReadAsync(cancellationToken)) keys.Add(rowsReader.GetString(0));
            }
            var rows = new Dictionary<string, Dictionary<string, AttributeValue>>(StringComparer.Ordinal);
            foreach (var chunk in keys.Chunk(5000))
            {
                foreach (var (key, item) in await reader.ReadItemsAsync(mapping, chunk, cancellationToken)) rows[key] = item;
            }
            result.DynamoItems = dynamo.Count;
            result.PostgresRows = rows.Count;

            foreach (var (key, sdkItem) in dynamo)
            {
                var item = SdkValues.FromSdkItem(sdkItem);
                string? difference = null;
                if (!rows.TryGetValue(key, out var row)) difference = $"{key}: in DynamoDB, no row in PostgreSQL";
                else if (!ItemEquality.Equal(item, row))
                    difference = $"{key}: DynamoDB {DynamoJson.SerializeItem(item)} but PostgreSQL {DynamoJson.SerializeItem(row)}";
                if (difference is null) result.EqualKeys.Add(key);
                else Add(result, quarantined.Contains((mapping.Table, key)), difference);
            }
            foreach (var key in rows.Keys.Where(k => !dynamo.ContainsKey(k)))
                Add(result, quarantined.Contains((mapping.Table, key)), $"{key}: a row in PostgreSQL, no item in DynamoDB");
            results.Add(result);
        }
        return results;
    }

    private static void Add(TableComparison result, bool excused, string difference)
    {
        if (excused)
        {
            result.Excused.Add(difference);
            return;
        }
        result.DifferenceCount++;
        if (result.Differences.Count < ShownPerTable) result.Differences.Add(difference);
    }
}
