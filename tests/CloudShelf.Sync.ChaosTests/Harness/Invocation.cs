using CloudShelf.Sync.Streams;

namespace CloudShelf.Sync.ChaosTests.Harness;

/// <summary>One invocation of stream-sync: the event and its JSON as the mapping sent it.</summary>
internal sealed record Invocation(DynamoDBEvent Event, byte[] Json)
{
    /// <summary>The first record's sequence number and the record count: tells one batch from another.</summary>
    public string Signature => $"{Event.Records[0].Dynamodb!.SequenceNumber}+{Event.Records.Count}";

    /// <summary>Whether the batch holds a record of the item with this key (in any table).</summary>
    public bool Contains(string key) => Event.Records.Any(r => r.Dynamodb!.Keys!.Values.Any(v => v.S == key));

    /// <summary>Whether the batch holds a record whose new image has this value for the attribute.</summary>
    public bool HasNewValue(string key, string attribute, string value) =>
        Event.Records.Any(r => r.Dynamodb!.Keys!.Values.Any(v => v.S == key)
            && r.Dynamodb.NewImage is { } image && image.TryGetValue(attribute, out var a) && a.S == value);

    /// <summary>An item's identity across tables: the source table and its key.</summary>
    public static string Key(DynamoDBStreamRecord record) =>
        StreamArn.TableName(record.EventSourceArn) + "/" + string.Join(",", record.Dynamodb!.Keys!.Select(k => k.Value.S));
}
