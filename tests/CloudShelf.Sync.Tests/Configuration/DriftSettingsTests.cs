using CloudShelf.Sync.Configuration;

namespace CloudShelf.Sync.Tests.Configuration;

public sealed class DriftSettingsTests
{
    private static SyncSettings Load(params (string Name, string Value)[] values)
    {
        var environment = values.ToDictionary(v => v.Name, v => v.Value);
        environment[SyncSettings.PostgresConnectionVariable] = "Host=localhost;Username=postgres";
        return SyncSettings.Load(new DictionaryEnvironment(environment));
    }

    [Fact]
    public void Drift_settings_default_to_no_repair_eight_segments_and_no_rate()
    {
        var settings = Load();

        Assert.Equal((false, 8, (double?)null), (settings.DriftRepair, settings.DriftSegments, settings.DriftReadUnitsPerSecond));
    }

    [Fact]
    public void Drift_settings_are_read()
    {
        var settings = Load((SyncSettings.DriftRepairVariable, "TRUE"), (SyncSettings.DriftSegmentsVariable, "16"), (SyncSettings.DriftReadUnitsVariable, "250.5"));

        Assert.Equal((true, 16, (double?)250.5), (settings.DriftRepair, settings.DriftSegments, settings.DriftReadUnitsPerSecond));
    }

    [Theory]
    [InlineData(SyncSettings.DriftRepairVariable, "yes")]
    [InlineData(SyncSettings.DriftSegmentsVariable, "0")]
    [InlineData(SyncSettings.DriftSegmentsVariable, "eight")]
    [InlineData(SyncSettings.DriftReadUnitsVariable, "-1")]
    [InlineData(SyncSettings.DriftReadUnitsVariable, "NaN")]
    public void A_malformed_drift_setting_stops_start_up_naming_it(string name, string value)
    {
        var e = Assert.Throws<ConfigurationException>(() => Load((name, value)));

        Assert.Equal(name, e.Setting);
        Assert.Contains(value, e.Message, StringComparison.Ordinal);
    }
}
