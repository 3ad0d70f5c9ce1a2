using CloudShelf.Sync.Configuration;

namespace CloudShelf.Sync.Tests.Lag;

public sealed class LagSettingsTests
{
    private static SyncSettings Load(params (string Name, string Value)[] values) =>
        SyncSettings.Load(new DictionaryEnvironment(values.Append((SyncSettings.PostgresConnectionVariable, "Host=localhost"))
            .ToDictionary(v => v.Item1, v => v.Item2)));

    [Fact]
    public void The_defaults_are_the_runbook_thresholds()
    {
        var lag = Load().Lag;

        Assert.Equal((TimeSpan.FromSeconds(30), TimeSpan.FromHours(6), TimeSpan.FromMinutes(5)), (lag.LagThreshold, lag.HeadroomThreshold, lag.LostGrace));
        Assert.Empty(lag.StreamArns);
    }

    [Fact]
    public void Configured_thresholds_and_stream_arns_are_read()
    {
        const string arn = "arn:aws:dynamodb:eu-west-1:123456789012:table/prod-books/stream/2026-11-01T00:00:00.000";
        var lag = Load((SyncSettings.BooksTableVariable, "prod-books"), (SyncSettings.BooksStreamArnVariable, arn),
            (SyncSettings.LagThresholdVariable, "60"), (SyncSettings.HeadroomThresholdVariable, "3600"), (SyncSettings.LostGraceVariable, "900"),
            (SyncSettings.LagMaxRecordsVariable, "500"), (SyncSettings.LagMaxRunSecondsVariable, "10")).Lag;

        Assert.Equal(arn, lag.StreamArns["prod-books"]);
        Assert.Equal((60, 3600, 900, 500, 10),
            ((int)lag.LagThreshold.TotalSeconds, (int)lag.HeadroomThreshold.TotalSeconds, (int)lag.LostGrace.TotalSeconds, lag.MaxRecordsPerRun,
                (int)lag.MaxRunTime.TotalSeconds));
    }

    [Theory]
    [InlineData(SyncSettings.LagThresholdVariable, "thirty")]
    [InlineData(SyncSettings.LagThresholdVariable, "-1")]
    [InlineData(SyncSettings.HeadroomThresholdVariable, "90000")]
    [InlineData(SyncSettings.LostGraceVariable, "1.5")]
    [InlineData(SyncSettings.LagMaxRecordsVariable, "0")]
    [InlineData(SyncSettings.LagMaxRunSecondsVariable, "0")]
    [InlineData(SyncSettings.BooksStreamArnVariable, "cloudshelf-books")]
    [InlineData(SyncSettings.UsersStreamArnVariable, "arn:aws:dynamodb:eu-west-1:123456789012:table/cloudshelf-books/stream/2026-11-01T00:00:00.000")]
    public void A_bad_lag_setting_stops_start_up_naming_the_setting(string variable, string value)
    {
        var error = Assert.Throws<ConfigurationException>(() => Load((variable, value)));

        Assert.Equal(variable, error.Setting);
        Assert.Contains(value, error.Message, StringComparison.Ordinal);
    }
}
