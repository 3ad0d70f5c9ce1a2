using System.Text;
using Amazon.S3;
using Amazon.S3.Model;
using CloudShelf.Sync.OnFailure;
using Moq;

namespace CloudShelf.Sync.Tests.OnFailure;

public sealed class S3OnFailureRecordSourceTests
{
    [Fact]
    public async Task Every_object_under_the_prefix_is_read_across_list_pages_and_folder_placeholders_are_skipped()
    {
        var s3 = new Mock<IAmazonS3>(MockBehavior.Strict);
        s3.Setup(c => c.ListObjectsV2Async(It.Is<ListObjectsV2Request>(r => r.BucketName == "failed" && r.Prefix == "dev/" && r.ContinuationToken == null),
                It.IsAny<CancellationToken>()))
            .ReturnsAsync(new ListObjectsV2Response
            {
                S3Objects = [new S3Object { Key = "dev/b.json" }, new S3Object { Key = "dev/" }, new S3Object { Key = "dev/a.json" }],
                IsTruncated = true,
                NextContinuationToken = "page-2",
            });
        s3.Setup(c => c.ListObjectsV2Async(It.Is<ListObjectsV2Request>(r => r.ContinuationToken == "page-2"), It.IsAny<CancellationToken>()))
            .ReturnsAsync(new ListObjectsV2Response { S3Objects = [new S3Object { Key = "dev/c.json" }], IsTruncated = false });
        foreach (var key in new[] { "dev/a.json", "dev/b.json", "dev/c.json" })
        {
            s3.Setup(c => c.GetObjectAsync("failed", key, It.IsAny<CancellationToken>()))
                .ReturnsAsync(() => new GetObjectResponse { ResponseStream = new MemoryStream(Encoding.UTF8.GetBytes("{\"key\":\"" + key + "\"}")) });
        }

        var read = new List<(string Name, string Content)>();
        await foreach (var (name, content) in new S3OnFailureRecordSource(s3.Object, "failed", "dev/").ReadAllAsync(CancellationToken.None))
            read.Add((name, Encoding.UTF8.GetString(content)));

        Assert.Equal(["s3://failed/dev/a.json", "s3://failed/dev/b.json", "s3://failed/dev/c.json"], read.Select(r => r.Name));
        Assert.Equal("{\"key\":\"dev/c.json\"}", read[2].Content);
    }

    [Theory]
    [InlineData("s3://failed", "failed", "")]
    [InlineData("s3://failed/", "failed", "")]
    [InlineData("s3://failed/dev/2026/", "failed", "dev/2026/")]
    public void An_s3_uri_is_split_into_bucket_and_prefix(string uri, string bucket, string prefix) =>
        Assert.Equal((bucket, prefix), S3OnFailureRecordSource.ParseUri(uri));

    [Theory]
    [InlineData("failed/dev")]
    [InlineData("s3://")]
    [InlineData("s3:///dev")]
    public void Anything_else_is_refused(string uri) =>
        Assert.Throws<FormatException>(() => S3OnFailureRecordSource.ParseUri(uri));
}
