namespace CloudShelf.Sync.IntegrationTests.Demo;

/// <summary>
/// The headless-Chromium check that <see cref="DemoTests"/> applies to the demo's report, on small
/// pages made to pass or to fail it: it must see a plotted chart, and catch an empty chart, a broken
/// script and a request that leaves the page.
/// </summary>
public sealed class ReportPageTests : IDisposable
{
    // A plotted series as ScottPlot draws one: a coloured polyline over grey axes.
    private const string PlottedChart = """
        <figure class="chart" id="chart-plotted"><svg viewBox="0 0 400 200" width="400" height="200">
        <rect width="400" height="200" fill="#fff"/><path d="M40 10 V180 H390" stroke="#222" fill="none"/>
        <polyline points="40,170 120,60 200,120 280,30 390,90" stroke="#1f77b4" stroke-width="3" fill="none"/>
        </svg></figure>
        """;

    // Axes, grid and a legend, and no data: what an empty series list draws.
    private const string EmptyChart = """
        <figure class="chart" id="chart-empty"><svg viewBox="0 0 400 200" width="400" height="200">
        <rect width="400" height="200" fill="#fff"/><path d="M40 10 V180 H390" stroke="#222" fill="none"/>
        <path d="M40 95 H390 M215 10 V180" stroke="#ddd" fill="none"/><text x="200" y="100" font-size="12">no data</text>
        </svg></figure>
        """;

    private readonly string _folder = Directory.CreateTempSubdirectory("cloudshelf-page-").FullName;

    [Fact]
    public async Task A_page_with_a_plotted_chart_and_no_script_passes()
    {
        var rendering = await HeadlessChromium.RenderAsync(Page("<h1>report</h1>" + PlottedChart));

        Assert.Empty(rendering.ConsoleErrors);
        Assert.Empty(rendering.ExternalRequests);
        Assert.Equal("chart-plotted", Assert.Single(rendering.Charts).Id);
        Assert.Empty(rendering.ChartsNotShown());
    }

    [Fact]
    public async Task An_empty_chart_is_reported_as_not_shown()
    {
        var rendering = await HeadlessChromium.RenderAsync(Page(PlottedChart + EmptyChart));

        Assert.StartsWith("chart-empty:", Assert.Single(rendering.ChartsNotShown()), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_chart_without_its_svg_is_reported_as_not_shown()
    {
        var rendering = await HeadlessChromium.RenderAsync(Page("""<figure class="chart" id="chart-missing"><figcaption>lag</figcaption></figure>"""));

        Assert.StartsWith("chart-missing:", Assert.Single(rendering.ChartsNotShown()), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_broken_script_is_caught_as_a_console_error()
    {
        var rendering = await HeadlessChromium.RenderAsync(Page(PlottedChart + "<script>drawCharts(document.querySelectorAll('svg'));</script>"));

        Assert.Contains(rendering.ConsoleErrors, e => e.Contains("drawCharts is not defined", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_console_error_logged_by_the_page_is_caught()
    {
        var rendering = await HeadlessChromium.RenderAsync(Page(PlottedChart + "<script>console.error('chart data missing');</script>"));

        Assert.Contains(rendering.ConsoleErrors, e => e.Contains("chart data missing", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_resource_from_another_address_is_caught_as_an_external_request()
    {
        // Port 9 (discard) on loopback: nothing answers, and nothing leaves the machine.
        var rendering = await HeadlessChromium.RenderAsync(Page(PlottedChart + """<img src="http://127.0.0.1:9/logo.png" alt="">"""));

        Assert.Contains("http://127.0.0.1:9/logo.png", rendering.ExternalRequests);
    }

    private string Page(string body)
    {
        var path = Path.Combine(_folder, $"page-{Guid.NewGuid():N}.html");
        File.WriteAllText(path, $"<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>t</title></head><body>{body}</body></html>");
        return path;
    }

    public void Dispose() => Directory.Delete(_folder, recursive: true);
}
