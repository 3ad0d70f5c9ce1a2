using System.Runtime.CompilerServices;
using Amazon.S3;
using Amazon.S3.Model;

namespace CloudShelf.Sync.OnFailure;

/// <summary>The objects under an S3 prefix: the stream mappings' on-failure destination bucket in AWS.</summary>
public sealed class S3OnFailureRecordSource(IAmazonS3 s3, string bucket, string prefix) : IOnFailureRecordSource
{
    /// <summary>Splits <c>s3://bucket/prefix</c>.</summary>
    /// <exception cref="FormatException">Not an s3:// URI with a bucket.</exception>
    public static (string Bucket, string Prefix) ParseUri(string uri)
    {
        ArgumentNullException.ThrowIfNull(uri);
        if (!uri.StartsWith("s3://", StringComparison.Ordinal) || uri.Length == "s3://".Length)
            throw new FormatException($"'{uri}' is not an S3 location such as s3://bucket/prefix.");
        var rest = uri["s3://".Length..];
        var slash = rest.IndexOf('/', StringComparison.Ordinal);
        var bucket = slash < 0 ? rest : rest[..slash];
        if (bucket.Length == 0) throw new FormatException($"'{uri}' names no bucket.");
        return (bucket, slash < 0 ? "" : rest[(slash + 1)..]);
    }

    /// <inheritdoc />
    public async IAsyncEnumerable<(string Name, byte[] Content)> ReadAllAsync([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var request = new ListObjectsV2Request { BucketName = bucket, Prefix = prefix };
        ListObjectsV2Response page;
        do
        {
            page = await s3.ListObjectsV2Async(request, cancellationToken);
            foreach (var entry in (page.S3Objects ?? []).OrderBy(o => o.Key, StringComparer.Ordinal))
            {
                // Folder placeholders hold nothing.
                if (entry.Key.EndsWith('/')) continue;
                using var response = await s3.GetObjectAsync(bucket, entry.Key, cancellationToken);
                using var content = new MemoryStream();
                await response.ResponseStream.CopyToAsync(content, cancellationToken);
                yield return ($"s3://{bucket}/{entry.Key}", content.ToArray());
            }
            request.ContinuationToken = page.NextContinuationToken;
        } while (page.IsTruncated == true);
    }
}
