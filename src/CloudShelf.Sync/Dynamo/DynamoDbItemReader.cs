using Amazon.DynamoDBv2;
using Amazon.DynamoDBv2.Model;
using CloudShelf.Sync.StreamSync;
using SdkValue = Amazon.DynamoDBv2.Model.AttributeValue;
using AttributeValue = CloudShelf.Sync.Streams.AttributeValue;

namespace CloudShelf.Sync.Dynamo;

/// <summary>Reads current items with strongly consistent GetItem calls.</summary>
public sealed class DynamoDbItemReader(IAmazonDynamoDB client) : IItemReader
{
    /// <inheritdoc />
    public async Task<Dictionary<string, AttributeValue>?> GetItemAsync(
        string table, IReadOnlyDictionary<string, AttributeValue> key, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(key);
        var response = await client.GetItemAsync(new GetItemRequest
        {
            TableName = table,
            Key = key.ToDictionary(k => k.Key, k => SdkValues.ToSdk(k.Value)),
            // A stream record is older than the item's current state; an eventually consistent
            // read could return something older still.
            ConsistentRead = true,
        }, cancellationToken);
        return response.Item is { Count: > 0 } item ? SdkValues.FromSdkItem(item) : null;
    }
}

/// <summary>Conversions between the SDK's attribute values and the sync's own.</summary>
public static class SdkValues
{
    /// <summary>An SDK item as a sync item.</summary>
    public static Dictionary<string, AttributeValue> FromSdkItem(IReadOnlyDictionary<string, SdkValue> item)
    {
        ArgumentNullException.ThrowIfNull(item);
        var result = new Dictionary<string, AttributeValue>(item.Count, StringComparer.Ordinal);
        foreach (var (name, value) in item) result[name] = FromSdk(value);
        return result;
    }

    /// <summary>An SDK value as a sync value.</summary>
    /// <exception cref="InvalidOperationException">The SDK value sets no type.</exception>
    public static AttributeValue FromSdk(SdkValue value)
    {
        ArgumentNullException.ThrowIfNull(value);
        if (value.S is not null) return AttributeValue.FromS(value.S);
        if (value.N is not null) return AttributeValue.FromN(value.N);
        if (value.B is not null) return AttributeValue.FromB(value.B.ToArray());
        if (value.BOOL is { } flag) return AttributeValue.FromBool(flag);
        if (value.NULL == true) return AttributeValue.Null;
        if (value.SS is { Count: > 0 }) return AttributeValue.FromSS(value.SS.ToList());
        if (value.NS is { Count: > 0 }) return AttributeValue.FromNS(value.NS.ToList());
        if (value.BS is { Count: > 0 }) return AttributeValue.FromBS(value.BS.Select(b => b.ToArray()).ToList());
        if (value.M is not null) return AttributeValue.FromM(FromSdkItem(value.M));
        if (value.L is not null) return AttributeValue.FromL(value.L.Select(FromSdk).ToList());
        throw new InvalidOperationException("A DynamoDB attribute value carried no type.");
    }

    /// <summary>A sync value as an SDK value.</summary>
    public static SdkValue ToSdk(AttributeValue value)
    {
        ArgumentNullException.ThrowIfNull(value);
        return value.Type switch
        {
            Streams.AttributeType.S => new SdkValue { S = value.S },
            Streams.AttributeType.N => new SdkValue { N = value.N },
            Streams.AttributeType.B => new SdkValue { B = new MemoryStream(value.B!) },
            Streams.AttributeType.SS => new SdkValue { SS = value.SS!.ToList() },
            Streams.AttributeType.NS => new SdkValue { NS = value.NS!.ToList() },
            Streams.AttributeType.BS => new SdkValue { BS = value.BS!.Select(b => new MemoryStream(b)).ToList() },
            Streams.AttributeType.M => new SdkValue { M = value.M!.ToDictionary(e => e.Key, e => ToSdk(e.Value)) },
            Streams.AttributeType.L => new SdkValue { L = value.L!.Select(ToSdk).ToList() },
            Streams.AttributeType.NULL => new SdkValue { NULL = true },
            Streams.AttributeType.BOOL => new SdkValue { BOOL = value.BOOL },
            _ => throw new ArgumentOutOfRangeException(nameof(value)),
        };
    }
}
