namespace CloudShelf.Sync.IntegrationTests.Demo;

/// <summary>What headless Chromium made of a page: its console errors and uncaught exceptions, every request that left the page's own file, and its charts.</summary>
public sealed record PageRendering(IReadOnlyList<string> ConsoleErrors, IReadOnlyList<string> ExternalRequests, IReadOnlyList<ChartRendering> Charts)
{
    /// <summary>A chart shows when it is drawn at a visible size with a plotted series in it (a line, not only its legend).</summary>
    public const int MinimumColoredPixels = 300;

    /// <summary>Charts that do not show, with why; empty when every chart shows.</summary>
    public IEnumerable<string> ChartsNotShown() => Charts
        .Where(c => c.Width < 100 || c.Height < 50 || c.ColoredPixels < MinimumColoredPixels)
        .Select(c => $"{c.Id}: {c.Width:0}x{c.Height:0} px, {c.ColoredPixels} coloured pixels (a chart needs at least 100x50 px and {MinimumColoredPixels})");
}
