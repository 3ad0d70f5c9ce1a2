using System.Text.RegularExpressions;
using CloudShelf.Sync.Mapping;
using CloudShelf.Sync.Observability;
using Npgsql;

namespace CloudShelf.Sync.Configuration;

/// <summary>Reads environment variables; tests pass a dictionary instead of touching the process.</summary>
public interface IEnvironment
{
    /// <summary>The variable's value, or null when unset.</summary>
    string? Get(string name);
}

/// <summary>The process environment.</summary>
public sealed class ProcessEnvironment : IEnvironment
{
    /// <summary>The one instance.</summary>
    public static ProcessEnvironment Instance { get; } = new();

    /// <inheritdoc />
    public string? Get(string name) => Environment.GetEnvironmentVariable(name);
}

/// <summary>An environment from a dictionary.</summary>
public sealed class DictionaryEnvironment(IReadOnlyDictionary<string, string> values) : IEnvironment
{
    /// <inheritdoc />
    public string? Get(string name) => values.GetValueOrDefault(name);
}

/// <summary>A missing or malformed setting: start-up stops with a message naming it.</summary>
public sealed class ConfigurationException(string setting, string message)
    : Exception($"{setting}: {message}")
{
    /// <summary>The environment variable at fault.</summary>
    public string Setting { get; } = setting;
}

/// <summary>How to build the connection from a Secrets Manager secret.</summary>
/// <param name="SecretId">The secret's ARN or name.</param>
/// <param name="UseExtension">Read it through the Parameters and Secrets extension rather than SSM.</param>
/// <param name="Host">A host overriding the secret's (RDS Proxy).</param>
/// <param name="Database">A database name overriding the secret's.</param>
/// <param name="RootCertificate">CA bundle for verify-full TLS; without it TLS is required but not verified.</param>
public sealed record DatabaseSecretSettings(string SecretId, bool UseExtension, string? Host, string? Database, string? RootCertificate);

/// <summary>Everything the sync reads from its environment, validated once at start-up.</summary>
public sealed partial record SyncSettings
{
    /// <summary>The Npgsql connection string (<c>CLOUDSHELF_PG_CONNECTION</c>).</summary>
    public const string PostgresConnectionVariable = "CLOUDSHELF_PG_CONNECTION";
    /// <summary>Books table name.</summary>
    public const string BooksTableVariable = "CLOUDSHELF_BOOKS_TABLE";
    /// <summary>Users table name.</summary>
    public const string UsersTableVariable = "CLOUDSHELF_USERS_TABLE";
    /// <summary>Orders table name.</summary>
    public const string OrdersTableVariable = "CLOUDSHELF_ORDERS_TABLE";
    /// <summary>A DynamoDB endpoint to use instead of AWS's (e.g. a local dynalite).</summary>
    public const string DynamoDbEndpointVariable = "CLOUDSHELF_DYNAMODB_ENDPOINT";
    /// <summary>A DynamoDB Streams endpoint to use instead of AWS's; defaults to <see cref="DynamoDbEndpointVariable"/> when that is set.</summary>
    public const string DynamoDbStreamsEndpointVariable = "CLOUDSHELF_DYNAMODB_STREAMS_ENDPOINT";
    /// <summary>The AWS region, set by Lambda.</summary>
    public const string RegionVariable = "AWS_REGION";
    /// <summary>The Service dimension and log key, as Powertools names it.</summary>
    public const string ServiceNameVariable = "POWERTOOLS_SERVICE_NAME";
    /// <summary>The minimum log level, as Powertools names it.</summary>
    public const string LogLevelVariable = "POWERTOOLS_LOG_LEVEL";
    /// <summary>The Secrets Manager secret (ARN or name) holding the RDS credentials, when no connection string is given.</summary>
    public const string DbSecretIdVariable = "CLOUDSHELF_DB_SECRET_ID";
    /// <summary>The database host to use instead of the secret's (e.g. an RDS Proxy endpoint).</summary>
    public const string DbHostVariable = "CLOUDSHELF_DB_HOST";
    /// <summary>The database name to use instead of the secret's.</summary>
    public const string DbNameVariable = "CLOUDSHELF_DB_NAME";
    /// <summary><c>ssm</c> (default) or <c>extension</c> (the Parameters and Secrets Lambda Extension).</summary>
    public const string DbSecretSourceVariable = "CLOUDSHELF_DB_SECRET_SOURCE";
    /// <summary>A PEM bundle of CA certificates (the RDS bundle) to verify the server: TLS verify-full instead of require.</summary>
    public const string DbRootCertificateVariable = "CLOUDSHELF_DB_ROOT_CERT";
    /// <summary>Stream ARN of the books table, read by sync-lag (else found with DescribeTable).</summary>
    public const string BooksStreamArnVariable = "CLOUDSHELF_BOOKS_STREAM_ARN";
    /// <summary>Stream ARN of the users table.</summary>
    public const string UsersStreamArnVariable = "CLOUDSHELF_USERS_STREAM_ARN";
    /// <summary>Stream ARN of the orders table.</summary>
    public const string OrdersStreamArnVariable = "CLOUDSHELF_ORDERS_STREAM_ARN";
    /// <summary>Sync lag above which a table is behind, in seconds (default 30).</summary>
    public const string LagThresholdVariable = "CLOUDSHELF_LAG_THRESHOLD_SECONDS";
    /// <summary>Retention headroom below which a table is at risk, in seconds (default 21600, 6 h).</summary>
    public const string HeadroomThresholdVariable = "CLOUDSHELF_HEADROOM_THRESHOLD_SECONDS";
    /// <summary>Seconds a change may stay unapplied after a later change of its shard is in PostgreSQL before it counts as lost (default 300).</summary>
    public const string LostGraceVariable = "CLOUDSHELF_LOST_GRACE_SECONDS";
    /// <summary>Most stream records one sync-lag run reads per table (default 10000).</summary>
    public const string LagMaxRecordsVariable = "CLOUDSHELF_LAG_MAX_RECORDS";
    /// <summary>Seconds one sync-lag run keeps reading (default 20).</summary>
    public const string LagMaxRunSecondsVariable = "CLOUDSHELF_LAG_MAX_RUN_SECONDS";

    /// <summary>Drift detection: <c>true</c> to repair the drift it finds (default <c>false</c>).</summary>
    public const string DriftRepairVariable = "CLOUDSHELF_DRIFT_REPAIR";
    /// <summary>Drift detection: scan segments of a new pass (default 8).</summary>
    public const string DriftSegmentsVariable = "CLOUDSHELF_DRIFT_SEGMENTS";
    /// <summary>Drift detection: read capacity units per second it may consume (default: no limit).</summary>
    public const string DriftReadUnitsVariable = "CLOUDSHELF_DRIFT_READ_UNITS";

    /// <summary>The PostgreSQL connection string, used as is; null when the secret is used instead.</summary>
    public string? PostgresConnection { get; init; }

    /// <summary>How to reach the database when there is no connection string.</summary>
    public DatabaseSecretSettings? DatabaseSecret { get; init; }

    /// <summary>The session token the Parameters and Secrets extension authenticates with.</summary>
    public string? SessionToken { get; init; }

    /// <summary>The DynamoDB source table names of this stage.</summary>
    public required SourceTableNames Tables { get; init; }

    /// <summary>A DynamoDB endpoint override, or null for AWS.</summary>
    public Uri? DynamoDbEndpoint { get; init; }

    /// <summary>A DynamoDB Streams endpoint override (DynamoDB Local serves both APIs on one port), or null for AWS.</summary>
    public Uri? DynamoDbStreamsEndpoint { get; init; }

    /// <summary>The AWS region.</summary>
    public string Region { get; init; } = "us-east-1";

    /// <summary>Whether AWS credentials are set in the environment (Lambda always sets them).</summary>
    public bool HasAwsCredentials { get; init; }

    /// <summary>The service name for logs and metrics.</summary>
    public string ServiceName { get; init; } = "cloudshelf-sync";

    /// <summary>The minimum log level.</summary>
    public LogLevel LogLevel { get; init; } = LogLevel.Information;

    /// <summary>Whether the drift detector repairs what it finds.</summary>
    public bool DriftRepair { get; init; }

    /// <summary>Scan segments of a new drift pass.</summary>
    public int DriftSegments { get; init; } = 8;

    /// <summary>Read capacity units per second the drift detector may consume; null for no limit.</summary>
    public double? DriftReadUnitsPerSecond { get; init; }

    /// <summary>What sync-lag reads and how it judges.</summary>
    public LagSettings Lag { get; init; } = new();

    /// <summary>Reads and validates the settings.</summary>
    /// <exception cref="ConfigurationException">A setting is missing or malformed; the message names it.</exception>
    public static SyncSettings Load(IEnvironment environment)
    {
        ArgumentNullException.ThrowIfNull(environment);
        var connection = NonEmpty(environment.Get(PostgresConnectionVariable));
        var secret = connection is null ? ReadSecretSettings(environment) : null;
        if (connection is not null)
        {
            try
            {
                _ = new NpgsqlConnectionStringBuilder(connection);
            }
            catch (Exception e) when (e is ArgumentException or FormatException or KeyNotFoundException)
            {
                // The message of the parser may quote the string, password included: do not pass it on.
                throw new ConfigurationException(PostgresConnectionVariable, "is not a valid Npgsql connection string (Key=Value pairs separated by ';').");
            }
        }

        var endpoint = Endpoint(environment, DynamoDbEndpointVariable);
        var streamsEndpoint = Endpoint(environment, DynamoDbStreamsEndpointVariable) ?? endpoint;

        var level = environment.Get(LogLevelVariable);
        var parsedLevel = JsonLogger.ParseLevel(level, (LogLevel)(-1));
        if (!string.IsNullOrWhiteSpace(level) && (int)parsedLevel == -1)
            throw new ConfigurationException(LogLevelVariable, $"'{level}' is not one of DEBUG, INFO, WARN, ERROR.");

        var tables = new SourceTableNames(
            TableName(environment, BooksTableVariable, SourceTableNames.Default.Books),
            TableName(environment, UsersTableVariable, SourceTableNames.Default.Users),
            TableName(environment, OrdersTableVariable, SourceTableNames.Default.Orders));
        return new SyncSettings
        {
            PostgresConnection = connection,
            DatabaseSecret = secret,
            SessionToken = NonEmpty(environment.Get("AWS_SESSION_TOKEN")),
            Tables = tables,
            Lag = LagSettings.Load(environment, tables),
            DynamoDbEndpoint = endpoint,
            DynamoDbStreamsEndpoint = streamsEndpoint,
            HasAwsCredentials = NonEmpty(environment.Get("AWS_ACCESS_KEY_ID")) is not null,
            Region = NonEmpty(environment.Get(RegionVariable)) ?? "us-east-1",
            ServiceName = NonEmpty(environment.Get(ServiceNameVariable)) ?? "cloudshelf-sync",
            LogLevel = string.IsNullOrWhiteSpace(level) ? LogLevel.Information : parsedLevel,
            DriftRepair = DriftRepairSetting(environment),
            DriftSegments = DriftSegmentsSetting(environment),
            DriftReadUnitsPerSecond = DriftReadUnitsSetting(environment),
        };
    }

    private static DatabaseSecretSettings ReadSecretSettings(IEnvironment environment)
    {
        var secretId = NonEmpty(environment.Get(DbSecretIdVariable))
            ?? throw new ConfigurationException(PostgresConnectionVariable,
                $"is not set, and neither is {DbSecretIdVariable}; give an Npgsql connection string (e.g. Host=localhost;Username=postgres;Database=cloudshelf) or the database secret's ARN.");
        var source = NonEmpty(environment.Get(DbSecretSourceVariable))?.ToLowerInvariant() ?? "ssm";
        if (source is not ("ssm" or "extension"))
            throw new ConfigurationException(DbSecretSourceVariable, $"'{source}' is not 'ssm' or 'extension'.");
        var rootCertificate = NonEmpty(environment.Get(DbRootCertificateVariable));
        if (rootCertificate is not null && !File.Exists(rootCertificate))
            throw new ConfigurationException(DbRootCertificateVariable, $"'{rootCertificate}' does not exist.");
        return new DatabaseSecretSettings(secretId, source == "extension", NonEmpty(environment.Get(DbHostVariable)),
            NonEmpty(environment.Get(DbNameVariable)), rootCertificate);
    }

    private static string TableName(IEnvironment environment, string variable, string fallback)
    {
        var value = environment.Get(variable);
        if (value is null) return fallback;
        if (!DynamoTableName().IsMatch(value))
            throw new ConfigurationException(variable, $"'{value}' is not a DynamoDB table name (3-255 characters: letters, digits, '_', '-', '.').");
        return value;
    }

    private static bool DriftRepairSetting(IEnvironment environment) =>
        NonEmpty(environment.Get(DriftRepairVariable))?.ToLowerInvariant() switch
        {
            null or "false" => false,
            "true" => true,
            var other => throw new ConfigurationException(DriftRepairVariable, $"'{other}' is not 'true' or 'false'."),
        };

    private static int DriftSegmentsSetting(IEnvironment environment)
    {
        var text = NonEmpty(environment.Get(DriftSegmentsVariable));
        if (text is null) return 8;
        if (!int.TryParse(text, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var n) || n is < 1 or > 1_000_000)
            throw new ConfigurationException(DriftSegmentsVariable, $"'{text}' is not a whole number from 1 to 1000000.");
        return n;
    }

    private static double? DriftReadUnitsSetting(IEnvironment environment)
    {
        var text = NonEmpty(environment.Get(DriftReadUnitsVariable));
        if (text is null) return null;
        if (!double.TryParse(text, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var rate)
            || !double.IsFinite(rate) || rate <= 0)
            throw new ConfigurationException(DriftReadUnitsVariable, $"'{text}' is not a positive number of read capacity units per second.");
        return rate;
    }

    private static Uri? Endpoint(IEnvironment environment, string variable)
    {
        var text = environment.Get(variable);
        if (string.IsNullOrWhiteSpace(text)) return null;
        if (!Uri.TryCreate(text, UriKind.Absolute, out var endpoint) || endpoint.Scheme is not ("http" or "https"))
            throw new ConfigurationException(variable, $"'{text}' is not an absolute http(s) URL such as http://127.0.0.1:8000.");
        return endpoint;
    }

    private static string? NonEmpty(string? value) => string.IsNullOrWhiteSpace(value) ? null : value;

    [GeneratedRegex("^[A-Za-z0-9_.-]{3,255}$")]
    private static partial Regex DynamoTableName();
}
