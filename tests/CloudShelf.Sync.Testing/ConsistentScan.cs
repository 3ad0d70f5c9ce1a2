using Amazon.DynamoDBv2;
using Amazon.DynamoDBv2.Model;
using CloudShelf.Sync.Dynamo;
using AttributeValue = CloudShelf.Sync.Streams.AttributeValue;

namespace CloudShelf.Sync.Testing;

/// <summary>A whole DynamoDB table read for a comparison of both stores.</summary>
public static class ConsistentScan
{
    /// <summary>Every item of <paramref name="table"/> by its string key, read page by page with consistent reads.</summary>
    public static async Task<Dictionary<string, Dictionary<string, AttributeValue>>> ItemsByKeyAsync(
        IAmazonDynamoDB client, string table, string keyAttribute)
    {
        ArgumentNullException.ThrowIfNull(client);
        var items = new Dictionary<string, Dictionary<string, AttributeValue>>(StringComparer.Ordinal);
        Dictionary<string, Amazon.DynamoDBv2.Model.AttributeValue>? start = null;
        do
        {
            var page = await client.ScanAsync(new ScanRequest { TableName = table, ExclusiveStartKey = start, ConsistentRead = true });
            foreach (var item in page.Items ?? []) items[item[keyAttribute].S] = SdkValues.FromSdkItem(item);
            start = page.LastEvaluatedKey is { Count: > 0 } last ? last : null;
        }
        while (start is not null);
        return items;
    }
}
