using System.Runtime.CompilerServices;

namespace CloudShelf.Sync.OnFailure;

/// <summary>The <c>*.json</c> files of a directory (and its subdirectories), as <c>stream run</c>'s local on-failure destination writes them.</summary>
public sealed class DirectoryOnFailureRecordSource(string directory) : IOnFailureRecordSource
{
    /// <inheritdoc />
    /// <exception cref="DirectoryNotFoundException">The directory does not exist.</exception>
    public async IAsyncEnumerable<(string Name, byte[] Content)> ReadAllAsync([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        if (!Directory.Exists(directory)) throw new DirectoryNotFoundException($"On-failure directory '{directory}' does not exist.");
        foreach (var path in Directory.EnumerateFiles(directory, "*.json", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
            yield return (path, await File.ReadAllBytesAsync(path, cancellationToken));
    }
}
