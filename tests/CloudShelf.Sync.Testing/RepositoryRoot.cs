namespace CloudShelf.Sync.Testing;

/// <summary>
/// Locates the checkout that the tests were built from, so fixtures can reach files that live
/// outside the build output (such as <c>node_modules</c>).
/// </summary>
public static class RepositoryRoot
{
    /// <summary>The file that marks the repository root.</summary>
    public const string MarkerFileName = "CloudShelf.Sync.sln";

    /// <summary>
    /// Walks up from <see cref="AppContext.BaseDirectory"/> to the folder that holds
    /// <see cref="MarkerFileName"/>.
    /// </summary>
    /// <returns>The absolute path of the repository root.</returns>
    /// <exception cref="InvalidOperationException">No ancestor folder holds the marker file.</exception>
    public static string Find()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, MarkerFileName)))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException(
            $"Could not find {MarkerFileName} in {AppContext.BaseDirectory} or any folder above it; "
            + "the tests must run from a build inside the repository.");
    }
}
