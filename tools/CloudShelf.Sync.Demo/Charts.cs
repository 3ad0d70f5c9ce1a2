using ScottPlot;

namespace CloudShelf.Sync.Demo;

/// <summary>
/// The report's charts over time, drawn by ScottPlot and exported as SVG for inlining: one line per
/// table, the moments of the run (writes frozen, defects fixed, the final check) as dashed vertical lines
/// that the page's caption names.
/// </summary>
internal static class Charts
{
    public const int Width = 760;
    public const int Height = 300;

    /// <summary>A line chart, one series per name; x in seconds since the live phase began. The page titles it.</summary>
    public static string LineChart(string yLabel, IReadOnlyList<(string Name, double[] X, double[] Y)> series, IReadOnlyList<(double X, string Label)> marks)
    {
        using var plot = new Plot();
        // A sans-serif face that Debian ships (fonts-dejavu-core); the SVG names it and places each glyph.
        plot.Font.Set("DejaVu Sans");
        plot.XLabel("seconds since the live phase began");
        plot.YLabel(yLabel);
        foreach (var (name, x, y) in series)
        {
            if (x.Length == 0) continue;
            var line = plot.Add.Scatter(x, y);
            line.LegendText = name;
            line.LineWidth = 2;
            line.MarkerSize = x.Length > 40 ? 0 : 5;
        }
        foreach (var (x, _) in marks)
        {
            var mark = plot.Add.VerticalLine(x);
            mark.LinePattern = LinePattern.Dashed;
            mark.Color = Colors.Gray;
            // Unlabelled: ScottPlot clips a vertical line's label at the plot's edge; the page's caption names the lines.
        }
        plot.Axes.Margins(left: 0.02, right: 0.04, bottom: 0, top: 0.1);
        plot.ShowLegend(Alignment.UpperRight);
        var svg = plot.GetSvgXml(Width, Height);
        // A viewBox lets the page scale the chart to its column; ScottPlot writes only width and height.
        return svg.Replace($"<svg width=\"{Width}\" height=\"{Height}\"", $"<svg viewBox=\"0 0 {Width} {Height}\" width=\"{Width}\" height=\"{Height}\"", StringComparison.Ordinal);
    }
}
