using System.Globalization;
using System.Text.RegularExpressions;
using CloudShelf.Sync.Mapping;

namespace CloudShelf.Sync.Configuration;

/// <summary>
/// What sync-lag and <c>cloudshelf-sync lag</c> read from the environment: the streams to read, the
/// health thresholds, the grace period before a passed-over change counts as lost, and the budget of
/// one run. Validated once at start-up with <see cref="SyncSettings"/>.
/// </summary>
public sealed partial record LagSettings
{
    /// <summary>Stream ARN of each synced table, by DynamoDB table name; a table without one is looked up with DescribeTable.</summary>
    public IReadOnlyDictionary<string, string> StreamArns { get; init; } = new Dictionary<string, string>(StringComparer.Ordinal);

    /// <summary>Above this, a table is behind (exit 1, alarm).</summary>
    public TimeSpan LagThreshold { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Below this much retention headroom, a table is at risk (exit 1, alarm).</summary>
    public TimeSpan HeadroomThreshold { get; init; } = TimeSpan.FromHours(6);

    /// <summary>
    /// How long a change may stay unapplied after a later change of its shard was seen in PostgreSQL
    /// before it counts as lost. With a ParallelizationFactor above 1 the mapping applies the records of
    /// one shard in several concurrent batches, so a later record can land first; this covers that.
    /// </summary>
    public TimeSpan LostGrace { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>Most stream records one run reads per table; the next run continues.</summary>
    public int MaxRecordsPerRun { get; init; } = 10_000;

    /// <summary>How long one run keeps reading; the next run continues.</summary>
    public TimeSpan MaxRunTime { get; init; } = TimeSpan.FromSeconds(20);

    /// <summary>Reads and validates the lag settings.</summary>
    /// <exception cref="ConfigurationException">A setting is malformed; the message names it.</exception>
    public static LagSettings Load(IEnvironment environment, SourceTableNames tables)
    {
        ArgumentNullException.ThrowIfNull(environment);
        ArgumentNullException.ThrowIfNull(tables);
        var arns = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (variable, table) in new[]
                 {
                     (SyncSettings.BooksStreamArnVariable, tables.Books), (SyncSettings.UsersStreamArnVariable, tables.Users),
                     (SyncSettings.OrdersStreamArnVariable, tables.Orders),
                 })
        {
            var arn = environment.Get(variable);
            if (string.IsNullOrWhiteSpace(arn)) continue;
            var match = StreamArnPattern().Match(arn);
            if (!match.Success)
                throw new ConfigurationException(variable, $"'{arn}' is not a DynamoDB stream ARN (arn:aws:dynamodb:<region>:<account>:table/<table>/stream/<label>).");
            if (!string.Equals(match.Groups["table"].Value, table, StringComparison.Ordinal))
                throw new ConfigurationException(variable, $"'{arn}' is the stream of table '{match.Groups["table"].Value}', not of '{table}'.");
            arns[table] = arn;
        }

        var lag = Seconds(environment, SyncSettings.LagThresholdVariable, 30, 0);
        var headroom = Seconds(environment, SyncSettings.HeadroomThresholdVariable, 6 * 3600, 0);
        if (headroom > 86_400)
            throw new ConfigurationException(SyncSettings.HeadroomThresholdVariable, $"'{headroom}' is more than the stream's 24-hour retention (86400 s).");
        return new LagSettings
        {
            StreamArns = arns,
            LagThreshold = TimeSpan.FromSeconds(lag),
            HeadroomThreshold = TimeSpan.FromSeconds(headroom),
            LostGrace = TimeSpan.FromSeconds(Seconds(environment, SyncSettings.LostGraceVariable, 300, 0)),
            MaxRecordsPerRun = (int)Seconds(environment, SyncSettings.LagMaxRecordsVariable, 10_000, 1, "records"),
            MaxRunTime = TimeSpan.FromSeconds(Seconds(environment, SyncSettings.LagMaxRunSecondsVariable, 20, 1)),
        };
    }

    private static long Seconds(IEnvironment environment, string variable, long fallback, long minimum, string unit = "seconds")
    {
        var text = environment.Get(variable);
        if (string.IsNullOrWhiteSpace(text)) return fallback;
        if (!long.TryParse(text.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var value) || value < minimum || value > int.MaxValue)
            throw new ConfigurationException(variable, $"'{text}' is not a whole number of {unit} (at least {minimum}).");
        return value;
    }

    [GeneratedRegex("^arn:aws[a-z-]*:dynamodb:[a-z0-9-]+:[0-9]{12}:table/(?<table>[A-Za-z0-9_.-]{3,255})/stream/.+$")]
    private static partial Regex StreamArnPattern();
}
