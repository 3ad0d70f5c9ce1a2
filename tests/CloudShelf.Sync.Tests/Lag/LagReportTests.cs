using CloudShelf.Sync.Configuration;
using CloudShelf.Sync.Lag;

namespace CloudShelf.Sync.Tests.Lag;

public sealed class LagReportTests
{
    private static TableLag Table(double lagSeconds, long lost = 0, int gaps = 0) => new("books", "cloudshelf-books", "arn", TimeSpan.FromSeconds(lagSeconds),
        SyncLagMonitor.Retention - TimeSpan.FromSeconds(lagSeconds), 1, lost, 0, 1, true, gaps);

    [Theory]
    [InlineData(0, 0, 0, true)]
    [InlineData(30, 0, 0, true)]
    [InlineData(31, 0, 0, false)]
    [InlineData(0, 1, 0, false)]
    [InlineData(0, 0, 1, false)]
    public void A_report_is_healthy_unless_lag_is_over_the_threshold_or_something_is_lost(double lag, long lost, int gaps, bool healthy)
    {
        var report = new LagReport([Table(lag, lost, gaps)], new LagSettings());

        Assert.Equal(healthy, report.Healthy);
        Assert.Equal(healthy, report.Problems.Count == 0);
    }

    [Fact]
    public void Headroom_under_its_threshold_is_a_problem_even_when_lag_is_allowed()
    {
        var settings = new LagSettings { LagThreshold = TimeSpan.FromHours(23) };

        var report = new LagReport([Table(TimeSpan.FromHours(19).TotalSeconds)], settings);

        Assert.Equal(["books: retention headroom 18000 s is under 21600 s"], report.Problems);
    }
}
