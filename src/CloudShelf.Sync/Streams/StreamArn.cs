namespace CloudShelf.Sync.Streams;

/// <summary>Reads the table name out of a DynamoDB stream ARN.</summary>
public static class StreamArn
{
    /// <summary>
    /// The table of <c>arn:aws:dynamodb:REGION:ACCOUNT:table/NAME/stream/LABEL</c>, or null when the ARN
    /// does not have that shape.
    /// </summary>
    public static string? TableName(string? arn)
    {
        if (string.IsNullOrEmpty(arn)) return null;
        var start = arn.IndexOf(":table/", StringComparison.Ordinal);
        if (start < 0) return null;
        start += ":table/".Length;
        var end = arn.IndexOf('/', start);
        var name = end < 0 ? arn[start..] : arn[start..end];
        return name.Length == 0 ? null : name;
    }
}
