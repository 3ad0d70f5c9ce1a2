using CloudShelf.Sync.Streams;

namespace CloudShelf.Sync.Tests.Streams;

/// <summary>The canned events of <c>events/</c>, copied next to the test assembly by the project file.</summary>
internal static class SampleEvents
{
    public static string Path(string file) => System.IO.Path.Combine(AppContext.BaseDirectory, "events", file);

    public static byte[] Bytes(string file) => File.ReadAllBytes(Path(file));

    public static DynamoDBEvent Read(string file) => StreamEventSerializer.ReadEvent(Bytes(file));

    public static IEnumerable<string> All() =>
        Directory.EnumerateFiles(System.IO.Path.Combine(AppContext.BaseDirectory, "events"), "*.json")
            .Select(System.IO.Path.GetFileName)
            .OfType<string>()
            .Order(StringComparer.Ordinal);
}
