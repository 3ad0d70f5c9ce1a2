namespace CloudShelf.Sync.IntegrationTests.Demo;

/// <summary>One <c>figure.chart</c> of a page as Chromium drew it.</summary>
/// <param name="Id">The figure's id.</param>
/// <param name="Width">The drawn SVG's width in CSS pixels (0 when the figure has no SVG).</param>
/// <param name="Height">Its height.</param>
/// <param name="ColoredPixels">Pixels of the SVG, rasterised by the browser, whose colour is not a grey:
/// plotted series are coloured, while axes, grid, labels and background are black, grey or white.</param>
public sealed record ChartRendering(string Id, double Width, double Height, int ColoredPixels);
