using Amazon.DynamoDBv2;
using CloudShelf.Sync.Configuration;
using CloudShelf.Sync.Mapping;

namespace CloudShelf.Sync.Lag;

/// <summary>
/// The configured stream ARN (<c>CLOUDSHELF_*_STREAM_ARN</c>, set by the template: in AWS sync-lag may
/// only read the streams), else the table's latest stream from DescribeTable (local runs).
/// </summary>
public sealed class StreamArnSource(LagSettings settings, Func<IAmazonDynamoDB> dynamoDb) : IStreamArnSource
{
    /// <inheritdoc />
    public async Task<string> StreamArnAsync(TableMapping table, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(table);
        if (settings.StreamArns.TryGetValue(table.SourceTable, out var configured)) return configured;
        var description = await dynamoDb().DescribeTableAsync(table.SourceTable, cancellationToken);
        var arn = description.Table.LatestStreamArn;
        if (string.IsNullOrEmpty(arn) || description.Table.StreamSpecification?.StreamEnabled == false)
            throw new InvalidOperationException($"Table '{table.SourceTable}' has no stream enabled; sync-lag has nothing to read.");
        return arn;
    }
}
