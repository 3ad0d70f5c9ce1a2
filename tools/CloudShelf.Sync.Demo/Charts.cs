using ScottPlot;

namespace CloudShelf.Sync.Demo;

/// <summary>
/// The report's charts over time, drawn by ScottPlot and exported as SVG for inlining: one line per
/// table, the moments of the run (writes frozen, defects fixed, the final check) as vertical lines.
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
        // The page titles the chart; a blank title keeps the band above the data for the marks' labels.
        plot.Title(" ");
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
        foreach (var (x, label) in marks)
        {
            var mark = plot.Add.VerticalLine(x);
            mark.LinePattern = LinePattern.Dashed;
            mark.Color = Colors.Gray;
            mark.LabelText = label;
            // At the top: at the bottom the label would cover the x axis' tick labels.
            mark.LabelOppositeAxis = true;
        }
        // Room on the right for the last mark's label, at the top for the labels over the lines.
        plot.Axes.Margins(left: 0.02, right: 0.12, bottom: 0, top: 0.15);
        plot.ShowLegend(Alignment.UpperRight);
        var svg = plot.GetSvgXml(Width, Height);
        // A viewBox lets the page scale the chart to its column; ScottPlot writes only width and height.
        return svg.Replace($"<svg width=\"{Width}\" height=\"{Height}\"", $"<svg viewBox=\"0 0 {Width} {Height}\" width=\"{Width}\" height=\"{Height}\"", StringComparison.Ordinal);
    }
}
