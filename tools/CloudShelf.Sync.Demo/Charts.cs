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

    /// <summary>A line chart, one series per name; x in seconds since the live phase began.</summary>
    public static string LineChart(string title, string yLabel, IReadOnlyList<(string Name, double[] X, double[] Y)> series, IReadOnlyList<(double X, string Label)> marks)
    {
        using var plot = new Plot();
        plot.Title(title);
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
        }
        plot.Axes.Margins(bottom: 0);
        plot.ShowLegend(Alignment.UpperRight);
        return plot.GetSvgXml(Width, Height);
    }
}
