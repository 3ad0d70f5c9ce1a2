using System.Globalization;

namespace CloudShelf.Sync.Benchmarks;

/// <summary>Plain-text tables, invariant culture, so that reports from any machine compare line by line.</summary>
internal static class Report
{
    public const double CopyTarget = 0.30;
    public const double NaiveTarget = 8.0;

    /// <summary>The one-minute load average, to print beside figures from a shared machine.</summary>
    public static string LoadAverage() =>
        File.Exists("/proc/loadavg") ? File.ReadAllText("/proc/loadavg").Split(' ')[0] : "n/a";

    public static void Phase(TextWriter output, string title, string note, int batch, IReadOnlyList<ContenderResult> results)
    {
        var copy = results.Single(r => r.Name == "COPY");
        var naive = results.Single(r => r.Name == "naive");
        var stream = results.Single(r => r.Name == "stream-apply");

        output.WriteLine();
        output.WriteLine(Invariant($"== {title} ({stream.Milliseconds.Count} measured rounds) =="));
        output.WriteLine(Invariant($"{"contender",-14} {"ms/batch",10} {"p25..p75 ms",17} {"records/s",11} {"alloc/batch",12}"));
        foreach (var r in results)
        {
            var ms = r.Milliseconds;
            output.WriteLine(Invariant(
                $"{r.Name,-14} {ms.Median,10:F1} {$"{ms.P25:F1}..{ms.P75:F1}",17} {batch / (ms.Median / 1000),11:N0} {r.AllocatedBytes.Median / (1024 * 1024),9:F1} MB"));
        }
        output.WriteLine(Ratio("stream-apply / COPY ", copy, stream, "COPY", 2, CopyTarget));
        output.WriteLine(Ratio("stream-apply / naive", naive, stream, "naive", 1, NaiveTarget));
        output.WriteLine(Invariant($"target: >= {CopyTarget:F2} x COPY and >= {NaiveTarget:0.#} x naive"));
        output.WriteLine(note);
    }

    /// <summary>Throughput of stream-apply as a multiple of the reference's, from the medians.</summary>
    private static string Ratio(string label, ContenderResult reference, ContenderResult stream, string unit, int digits, double target)
    {
        var ratio = reference.Milliseconds.Median / stream.Milliseconds.Median;
        // Rounds are interleaved, so each round's pair saw the same noise: their spread shows how firm the ratio is.
        var paired = new Samples();
        for (var i = 0; i < stream.Milliseconds.Count; i++)
            paired.Add(reference.Milliseconds.Values[i] / stream.Milliseconds.Values[i]);
        var verdict = ratio >= target ? "PASS" : "MISS";
        return Invariant(
            $"{label}  {Number(ratio, digits, target)} x {unit,-5}  {verdict}   (per-round paired ratios p25..p75: {Number(paired.P25, digits, target)}..{Number(paired.P75, digits, target)})");
    }

    /// <summary>Enough digits that the printed number never seems to contradict the verdict (0.2996 is not "0.30").</summary>
    private static string Number(double value, int digits, double target)
    {
        while (digits < 4 && Math.Round(value, digits) >= target != value >= target) digits++;
        return value.ToString("F" + digits.ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture);
    }

    public static void Breakdown(TextWriter output, int batch, IReadOnlyList<BreakdownResult> phases)
    {
        output.WriteLine();
        output.WriteLine("== where stream-apply spends a batch (medians, ms per batch; handler and split run on twin batches in one database) ==");
        output.WriteLine(Invariant($"{"phase",-9} {"event",8} {"handler",8} {"parse",14} {"map",14} {"write",14} {"rest",14}"));
        foreach (var p in phases)
        {
            var handler = p.Handler.Median;
            var rest = handler - p.Parse.Median - p.Map.Median - p.Write.Median;
            output.WriteLine(Invariant(
                $"{p.Phase,-9} {p.EventBytes.Median / (1024 * 1024),5:F1} MB {handler,8:F1} {Share(p.Parse.Median, handler),14} {Share(p.Map.Median, handler),14} {Share(p.Write.Median, handler),14} {Share(rest, handler),14}"));
        }
        output.WriteLine(Invariant($"parse = StreamEventSerializer.ReadEvent of the {batch:N0}-record event; map = ItemMapper.Map per record;"));
        output.WriteLine("write = ChangeWriter.WriteAsync (guarded books merge, one transaction); rest = handler - parse - map - write");
        output.WriteLine("(classify, collapse, outcomes, metrics, response).");
    }

    private static string Share(double ms, double total) => Invariant($"{ms:F1} ({ms / total * 100,3:F0}%)");

    public static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
