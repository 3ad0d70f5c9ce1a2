using Amazon.DynamoDBv2;
using Amazon.DynamoDBv2.Model;

namespace CloudShelf.Sync.Demo;

/// <summary>The Phase 1 DynamoDB tables, made and filled through the AWS SDK as Phase 1's own code would.</summary>
internal static class PhaseOneTables
{
    public const string Books = "cloudshelf-books";
    public const string Users = "cloudshelf-users";
    public const string Orders = "cloudshelf-orders";
    public const string Carts = "cloudshelf-carts";

    /// <summary>The synced tables and their keys, then carts, which stays in DynamoDB.</summary>
    public static readonly (string Table, string Key)[] All = [(Books, "bookId"), (Users, "userId"), (Orders, "orderId"), (Carts, "userId")];

    /// <summary>Creates the four tables without streams: what they hold now predates the stream's retention.</summary>
    public static async Task CreateAsync(IAmazonDynamoDB client, CancellationToken cancellationToken)
    {
        await Task.WhenAll(All.Select(t => client.CreateTableAsync(new CreateTableRequest
        {
            TableName = t.Table,
            KeySchema = [new KeySchemaElement(t.Key, KeyType.HASH)],
            AttributeDefinitions = [new AttributeDefinition(t.Key, ScalarAttributeType.S)],
            BillingMode = BillingMode.PAY_PER_REQUEST,
        }, cancellationToken)));
        foreach (var (table, _) in All) await WaitActiveAsync(client, table, cancellationToken);
    }

    /// <summary>
    /// Turns on NEW_AND_OLD_IMAGES streams on the synced tables. The seeded items are not in the
    /// stream, as in production where they are older than its 24 hours: only the backfill loads them,
    /// and every change from here on reaches PostgreSQL through the stream as well.
    /// </summary>
    public static async Task EnableStreamsAsync(IAmazonDynamoDB client, CancellationToken cancellationToken)
    {
        foreach (var table in new[] { Books, Users, Orders })
        {
            await client.UpdateTableAsync(new UpdateTableRequest
            {
                TableName = table,
                StreamSpecification = new StreamSpecification { StreamEnabled = true, StreamViewType = StreamViewType.NEW_AND_OLD_IMAGES },
            }, cancellationToken);
            await WaitActiveAsync(client, table, cancellationToken);
            var description = await client.DescribeTableAsync(table, cancellationToken);
            if (string.IsNullOrEmpty(description.Table.LatestStreamArn))
                throw new InvalidOperationException($"{table} has no stream after UpdateTable.");
        }
    }

    /// <summary>Writes items with BatchWriteItem, 25 at a time, until none is left unprocessed.</summary>
    public static async Task PutAllAsync(IAmazonDynamoDB client, string table, IReadOnlyList<Dictionary<string, AttributeValue>> items, CancellationToken cancellationToken)
    {
        var chunks = items.Chunk(25).ToList();
        await Parallel.ForEachAsync(chunks, new ParallelOptions { MaxDegreeOfParallelism = 4, CancellationToken = cancellationToken }, async (chunk, ct) =>
        {
            var request = new Dictionary<string, List<WriteRequest>> { [table] = chunk.Select(item => new WriteRequest(new PutRequest(item))).ToList() };
            while (request.Count > 0) request = (await client.BatchWriteItemAsync(request, ct)).UnprocessedItems ?? [];
        });
    }

    /// <summary>Every item of a table with a consistent scan, by key.</summary>
    public static async Task<Dictionary<string, Dictionary<string, AttributeValue>>> ScanAsync(
        IAmazonDynamoDB client, string table, string keyAttribute, CancellationToken cancellationToken)
    {
        var items = new Dictionary<string, Dictionary<string, AttributeValue>>(StringComparer.Ordinal);
        Dictionary<string, AttributeValue>? start = null;
        do
        {
            var page = await client.ScanAsync(new ScanRequest { TableName = table, ExclusiveStartKey = start, ConsistentRead = true }, cancellationToken);
            foreach (var item in page.Items ?? []) items[item[keyAttribute].S] = item;
            start = page.LastEvaluatedKey is { Count: > 0 } last ? last : null;
        }
        while (start is not null);
        return items;
    }

    private static async Task WaitActiveAsync(IAmazonDynamoDB client, string table, CancellationToken cancellationToken)
    {
        while ((await client.DescribeTableAsync(table, cancellationToken)).Table.TableStatus != TableStatus.ACTIVE)
            await Task.Delay(20, cancellationToken);
    }
}
