using CloudShelf.Sync.Streams;

namespace CloudShelf.Sync.Tests.Streams;

public sealed class StreamArnTests
{
    [Theory]
    [InlineData("arn:aws:dynamodb:eu-west-1:123456789012:table/cloudshelf-books/stream/2026-11-01T00:00:00.000", "cloudshelf-books")]
    [InlineData("arn:aws:dynamodb:us-east-1:123456789012:table/cloudshelf-prod-orders/stream/2026-11-01T00:00:00.000", "cloudshelf-prod-orders")]
    [InlineData("arn:aws:dynamodb:ddblocal:000000000000:table/cloudshelf-users", "cloudshelf-users")]
    public void The_table_is_read_from_the_stream_arn(string arn, string table)
    {
        Assert.Equal(table, StreamArn.TableName(arn));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("cloudshelf-books")]
    [InlineData("arn:aws:dynamodb:eu-west-1:123456789012:table//stream/x")]
    [InlineData("arn:aws:kinesis:eu-west-1:123456789012:stream/cloudshelf-books")]
    public void An_arn_of_another_shape_names_no_table(string? arn)
    {
        Assert.Null(StreamArn.TableName(arn));
    }
}
