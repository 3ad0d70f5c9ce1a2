using CloudShelf.Sync.Streams;

namespace CloudShelf.Sync.StreamReading;

/// <summary>
/// Turns GetRecords records into the records Lambda delivers to a DynamoDB event source mapping, so
/// that what reads the stream locally hands the handler exactly what it gets in AWS.
/// </summary>
public static class StreamRecordConverter
{
    /// <summary>The Lambda event record for a GetRecords record of the stream <paramref name="streamArn"/>.</summary>
    /// <exception cref="ArgumentException">The record has no <c>dynamodb</c> part or no sequence number.</exception>
    public static DynamoDBStreamRecord ToLambdaRecord(StreamsApiRecord record, string streamArn)
    {
        ArgumentNullException.ThrowIfNull(record);
        ArgumentException.ThrowIfNullOrEmpty(streamArn);
        var change = record.Dynamodb;
        if (change?.SequenceNumber is null)
            throw new ArgumentException($"Stream record {record.EventId} has no dynamodb.SequenceNumber.", nameof(record));
        return new DynamoDBStreamRecord
        {
            EventId = record.EventId,
            EventName = record.EventName,
            EventVersion = record.EventVersion,
            EventSource = record.EventSource ?? "aws:dynamodb",
            AwsRegion = record.AwsRegion,
            EventSourceArn = streamArn,
            Dynamodb = new StreamRecord
            {
                // Lambda delivers whole epoch seconds; the API adds a fraction.
                ApproximateCreationDateTime = change.ApproximateCreationDateTime is { } seconds
                    ? DateTimeOffset.FromUnixTimeSeconds((long)Math.Floor(seconds))
                    : null,
                Keys = change.Keys,
                NewImage = change.NewImage,
                OldImage = change.OldImage,
                SequenceNumber = change.SequenceNumber,
                SizeBytes = change.SizeBytes,
                StreamViewType = change.StreamViewType,
            },
            UserIdentity = record.UserIdentity is { } identity
                ? new StreamUserIdentity { Type = identity.Type, PrincipalId = identity.PrincipalId }
                : null,
        };
    }
}
