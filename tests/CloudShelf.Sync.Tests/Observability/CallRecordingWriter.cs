using System.Collections.Concurrent;
using System.Text;

namespace CloudShelf.Sync.Tests.Observability;

/// <summary>
/// Records each WriteLine call and notices when two run at once. A plain StringWriter rarely shows a race on a
/// two-core runner, so the overlap is detected directly instead of hoping for a torn line.
/// </summary>
internal sealed class CallRecordingWriter : TextWriter
{
    private int _inside;
    private int _overlaps;

    public ConcurrentQueue<string> Lines { get; } = new();

    public int Overlaps => Volatile.Read(ref _overlaps);

    public override Encoding Encoding => Encoding.UTF8;

    public override void WriteLine(string? value)
    {
        if (Interlocked.Increment(ref _inside) > 1)
        {
            Interlocked.Increment(ref _overlaps);
        }

        // Giving up the CPU mid-write lets an unsynchronised second writer in even on a single-core runner.
        Thread.Sleep(1);
        Lines.Enqueue(value ?? string.Empty);
        Interlocked.Decrement(ref _inside);
    }

    // Any other write path would split one entry over several calls.
    public override void Write(char value) => throw new InvalidOperationException("An entry must be one WriteLine(string) call.");
}
