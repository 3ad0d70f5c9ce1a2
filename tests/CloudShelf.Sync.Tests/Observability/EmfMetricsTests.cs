using System.Globalization;
using System.Text.Json;
using CloudShelf.Sync.Observability;

namespace CloudShelf.Sync.Tests.Observability;

public sealed class EmfMetricsTests : IDisposable
{
    private static readonly DateTimeOffset Now = new(2025, 3, 4, 5, 6, 7, 890, TimeSpan.Zero);

    private readonly StringWriter _output = new(CultureInfo.InvariantCulture);
    private readonly EmfMetrics _metrics;

    public EmfMetricsTests() => _metrics = new EmfMetrics(_output, "cloudshelf-sync", new FixedTimeProvider(Now));

    public void Dispose() => _output.Dispose();

    [Fact]
    public void A_table_metric_follows_the_emf_specification()
    {
        _metrics.Add(MetricNames.RecordsApplied, 10, MetricUnit.Count, "books");
        _metrics.Flush();

        var document = Assert.Single(Lines());
        var aws = document.GetProperty("_aws");
        Assert.Equal(Now.ToUnixTimeMilliseconds(), aws.GetProperty("Timestamp").GetInt64());
        var directive = Assert.Single(aws.GetProperty("CloudWatchMetrics").EnumerateArray());
        Assert.Equal("CloudShelf/Sync", directive.GetProperty("Namespace").GetString());
        var dimensions = Assert.Single(directive.GetProperty("Dimensions").EnumerateArray());
        Assert.Equal(["Service", "Table"], dimensions.EnumerateArray().Select(d => d.GetString()));
        var metric = Assert.Single(directive.GetProperty("Metrics").EnumerateArray());
        Assert.Equal("RecordsApplied", metric.GetProperty("Name").GetString());
        Assert.Equal("Count", metric.GetProperty("Unit").GetString());
        Assert.Equal("cloudshelf-sync", document.GetProperty("Service").GetString());
        Assert.Equal("books", document.GetProperty("Table").GetString());
        Assert.Equal(10, document.GetProperty("RecordsApplied").GetDouble());
    }

    [Fact]
    public void A_service_metric_has_only_the_service_dimension()
    {
        _metrics.Add(MetricNames.DataDriftCount, 4, MetricUnit.Count);
        _metrics.Flush();

        var document = Assert.Single(Lines());
        var directive = document.GetProperty("_aws").GetProperty("CloudWatchMetrics")[0];
        Assert.Equal(["Service"], directive.GetProperty("Dimensions")[0].EnumerateArray().Select(d => d.GetString()));
        Assert.False(document.TryGetProperty("Table", out _));
        Assert.Equal(4, document.GetProperty("DataDriftCount").GetDouble());
    }

    [Fact]
    public void Counts_for_the_same_name_and_table_are_summed()
    {
        _metrics.Add(MetricNames.RecordsApplied, 3, MetricUnit.Count, "books");
        _metrics.Add(MetricNames.RecordsApplied, 4, MetricUnit.Count, "books");
        _metrics.Add(MetricNames.RecordsFailed, 1, MetricUnit.Count, "books");
        _metrics.Flush();

        var document = Assert.Single(Lines());
        Assert.Equal(7, document.GetProperty("RecordsApplied").GetDouble());
        Assert.Equal(1, document.GetProperty("RecordsFailed").GetDouble());
        Assert.Equal(2, document.GetProperty("_aws").GetProperty("CloudWatchMetrics")[0].GetProperty("Metrics").GetArrayLength());
    }

    [Fact]
    public void Each_dimension_set_gets_its_own_line()
    {
        _metrics.Add(MetricNames.RecordsApplied, 1, MetricUnit.Count, "books");
        _metrics.Add(MetricNames.RecordsApplied, 2, MetricUnit.Count, "orders");
        _metrics.Add(MetricNames.BatchDurationMs, 15, MetricUnit.Milliseconds);
        _metrics.Flush();

        var lines = Lines();
        Assert.Equal(3, lines.Count);
        Assert.Equal(1, lines.Single(l => TableOf(l) == "books").GetProperty("RecordsApplied").GetDouble());
        Assert.Equal(2, lines.Single(l => TableOf(l) == "orders").GetProperty("RecordsApplied").GetDouble());
        Assert.Equal(15, lines.Single(l => TableOf(l) is null).GetProperty("BatchDurationMs").GetDouble());
    }

    [Fact]
    public void Every_timing_is_kept_as_an_array()
    {
        _metrics.Add(MetricNames.BatchDurationMs, 12, MetricUnit.Milliseconds);
        _metrics.Add(MetricNames.BatchDurationMs, 30, MetricUnit.Milliseconds);
        _metrics.Add(MetricNames.SyncLagSeconds, 2.5, MetricUnit.Seconds, "books");
        _metrics.Flush();

        var lines = Lines();
        var service = lines.Single(l => TableOf(l) is null);
        Assert.Equal([12.0, 30.0], service.GetProperty("BatchDurationMs").EnumerateArray().Select(v => v.GetDouble()));
        Assert.Equal("Milliseconds", service.GetProperty("_aws").GetProperty("CloudWatchMetrics")[0].GetProperty("Metrics")[0].GetProperty("Unit").GetString());
        var books = lines.Single(l => TableOf(l) == "books");
        Assert.Equal(2.5, books.GetProperty("SyncLagSeconds").GetDouble());
        Assert.Equal("Seconds", books.GetProperty("_aws").GetProperty("CloudWatchMetrics")[0].GetProperty("Metrics")[0].GetProperty("Unit").GetString());
    }

    [Fact]
    public void A_flush_with_nothing_recorded_writes_nothing()
    {
        _metrics.Flush();

        Assert.Empty(_output.ToString());
    }

    [Fact]
    public void A_flush_clears_what_it_wrote()
    {
        _metrics.Add(MetricNames.RecordsApplied, 1, MetricUnit.Count);
        _metrics.Flush();
        _metrics.Flush();

        Assert.Single(Lines());
    }

    [Fact]
    public void More_than_100_metrics_are_split_across_documents()
    {
        for (var i = 0; i < 150; i++)
        {
            _metrics.Add($"Metric{i}", i, MetricUnit.Count, "books");
        }

        _metrics.Flush();

        var lines = Lines();
        Assert.Equal(2, lines.Count);
        Assert.Equal([100, 50], lines.Select(l => l.GetProperty("_aws").GetProperty("CloudWatchMetrics")[0].GetProperty("Metrics").GetArrayLength()));
        Assert.All(lines, l => Assert.Equal("books", TableOf(l)));
        Assert.Equal(149, lines[1].GetProperty("Metric149").GetDouble());
    }

    [Fact]
    public void The_101st_timing_value_flushes_the_first_100()
    {
        for (var i = 0; i < 101; i++)
        {
            _metrics.Add(MetricNames.BatchDurationMs, i, MetricUnit.Milliseconds);
        }

        Assert.Equal(100, Assert.Single(Lines()).GetProperty("BatchDurationMs").GetArrayLength());

        _metrics.Flush();

        Assert.Equal(100, Lines()[1].GetProperty("BatchDurationMs").GetDouble());
    }

    [Fact]
    public void Non_finite_values_are_dropped()
    {
        _metrics.Add(MetricNames.SyncLagSeconds, double.NaN, MetricUnit.Seconds);
        _metrics.Add(MetricNames.SyncLagSeconds, double.PositiveInfinity, MetricUnit.Seconds);
        _metrics.Flush();

        Assert.Empty(_output.ToString());
    }

    [Fact]
    public void Concurrent_adds_are_all_counted()
    {
        // Dedicated threads, because the thread pool may hand a parallel loop to one thread on a small runner.
        var adders = Enumerable.Range(0, 4)
            .Select(_ => new Thread(() =>
            {
                for (var i = 0; i < 10_000; i++)
                {
                    _metrics.Add(MetricNames.RecordsApplied, 1, MetricUnit.Count, "books");
                }
            }))
            .ToList();
        adders.ForEach(thread => thread.Start());
        adders.ForEach(thread => thread.Join());
        _metrics.Flush();

        Assert.Equal(40_000, Assert.Single(Lines()).GetProperty("RecordsApplied").GetDouble());
    }

    [Fact]
    public void Metric_names_list_every_name_once()
    {
        var constants = typeof(MetricNames).GetFields(System.Reflection.BindingFlags.Public | System.Reflection.BindingFlags.Static)
            .Where(f => f.IsLiteral && f.Name != nameof(MetricNames.Namespace)).Select(f => (string)f.GetRawConstantValue()!);
        Assert.Equal(constants.Order(StringComparer.Ordinal), MetricNames.All.Order(StringComparer.Ordinal));
        Assert.Equal(MetricNames.All.Count, MetricNames.All.Distinct(StringComparer.Ordinal).Count());
        Assert.DoesNotContain(MetricNames.Namespace, MetricNames.All);
    }

    private static string? TableOf(JsonElement document) =>
        document.TryGetProperty("Table", out var table) ? table.GetString() : null;

    private List<JsonElement> Lines() => EmittedLines.Parse(_output);
}
