namespace CloudShelf.Sync.OnFailure;

/// <summary>Where on-failure invocation records are kept: a directory (the local mapping's) or an S3 prefix.</summary>
public interface IOnFailureRecordSource
{
    /// <summary>Every record's name and content, in name order.</summary>
    IAsyncEnumerable<(string Name, byte[] Content)> ReadAllAsync(CancellationToken cancellationToken);
}
