using System.Globalization;
using CloudShelf.Sync.Configuration;

namespace CloudShelf.Sync.Cutover;

/// <summary>
/// The cut-over gate's thresholds, with the migration guide's defaults. The lag threshold is sync-lag's
/// own (<c>CLOUDSHELF_LAG_THRESHOLD_SECONDS</c>, 30 s), so the gate and the lag alarm agree.
/// </summary>
public sealed record CutoverSettings
{
    /// <summary>Highest error rate, in percent, over the last hour (default 1).</summary>
    public const string MaxErrorRateVariable = "CLOUDSHELF_CUTOVER_MAX_ERROR_RATE_PERCENT";

    /// <summary>Oldest a table's last complete drift pass may be, in seconds (default 3600).</summary>
    public const string DriftMaxAgeVariable = "CLOUDSHELF_CUTOVER_DRIFT_MAX_AGE_SECONDS";

    /// <summary>The window of the error rate.</summary>
    public static readonly TimeSpan ErrorRateWindow = TimeSpan.FromHours(1);

    /// <summary>Highest error rate GO allows, as a fraction (0.01 is 1 %).</summary>
    public double MaxErrorRate { get; init; } = 0.01;

    /// <summary>Oldest a table's last complete drift pass may be.</summary>
    public TimeSpan DriftMaxAge { get; init; } = TimeSpan.FromHours(1);

    /// <summary>Reads and validates the settings.</summary>
    /// <exception cref="ConfigurationException">A setting is malformed; the message names it.</exception>
    public static CutoverSettings Load(IEnvironment environment)
    {
        ArgumentNullException.ThrowIfNull(environment);
        var settings = new CutoverSettings();
        if (environment.Get(MaxErrorRateVariable) is { } rate && !string.IsNullOrWhiteSpace(rate))
        {
            if (!double.TryParse(rate.Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out var percent) || !(percent >= 0 && percent <= 100))
                throw new ConfigurationException(MaxErrorRateVariable, $"'{rate}' is not a percentage from 0 to 100.");
            settings = settings with { MaxErrorRate = percent / 100 };
        }
        if (environment.Get(DriftMaxAgeVariable) is { } age && !string.IsNullOrWhiteSpace(age))
        {
            if (!int.TryParse(age.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var seconds) || seconds < 1)
                throw new ConfigurationException(DriftMaxAgeVariable, $"'{age}' is not a whole number of seconds (at least 1).");
            settings = settings with { DriftMaxAge = TimeSpan.FromSeconds(seconds) };
        }
        return settings;
    }
}
