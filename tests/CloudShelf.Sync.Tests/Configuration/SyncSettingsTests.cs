using CloudShelf.Sync.Configuration;
using CloudShelf.Sync.Mapping;
using CloudShelf.Sync.Observability;

namespace CloudShelf.Sync.Tests.Configuration;

public sealed class SyncSettingsTests
{
    private const string Secret = "s3cr3t-hunter2";
    private const string Connection = "Host=localhost;Username=sync;Password=" + Secret + ";Database=cloudshelf";

    private static SyncSettings Load(params (string Name, string Value)[] values)
    {
        var environment = new Dictionary<string, string>(StringComparer.Ordinal) { [SyncSettings.PostgresConnectionVariable] = Connection };
        foreach (var (name, value) in values) environment[name] = value;
        return SyncSettings.Load(new DictionaryEnvironment(environment));
    }

    private static ConfigurationException Refused(params (string Name, string Value)[] values) =>
        Assert.Throws<ConfigurationException>(() => Load(values));

    [Fact]
    public void A_missing_connection_string_is_refused_by_name()
    {
        var e = Assert.Throws<ConfigurationException>(() => SyncSettings.Load(new DictionaryEnvironment(new Dictionary<string, string>())));

        Assert.Equal("CLOUDSHELF_PG_CONNECTION", e.Setting);
        Assert.Contains("CLOUDSHELF_PG_CONNECTION", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_blank_connection_string_is_refused_by_name()
    {
        var e = Refused((SyncSettings.PostgresConnectionVariable, "   "));

        Assert.Contains("CLOUDSHELF_PG_CONNECTION", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("Host=localhost;Password=" + Secret + ";Bogus Key=1")]
    [InlineData("Password=" + Secret + ";Host")]
    [InlineData("Host=localhost;Password=" + Secret + ";Port=not-a-port")]
    [InlineData("Host=localhost;Password=" + Secret + ";Port=99999999999")]
    [InlineData("Host=localhost;Password=" + Secret + ";SSL Mode=sometimes")]
    [InlineData("Host=localhost;Password=" + Secret + ";Pooling=perhaps")]
    [InlineData("Host=localhost;Password='" + Secret)]
    public void A_malformed_connection_string_is_refused_without_repeating_the_password(string connection)
    {
        var e = Refused((SyncSettings.PostgresConnectionVariable, connection));

        Assert.Equal("CLOUDSHELF_PG_CONNECTION", e.Setting);
        Assert.Contains("CLOUDSHELF_PG_CONNECTION", e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(Secret, e.ToString(), StringComparison.Ordinal);
        Assert.Null(e.InnerException);
    }

    [Theory]
    [InlineData("not a url")]
    [InlineData("localhost:4567")]
    [InlineData("ftp://127.0.0.1:4567")]
    [InlineData("/relative/path")]
    public void A_bad_dynamodb_endpoint_is_refused_by_name(string endpoint)
    {
        var e = Refused((SyncSettings.DynamoDbEndpointVariable, endpoint));

        Assert.Equal("CLOUDSHELF_DYNAMODB_ENDPOINT", e.Setting);
        Assert.Contains("CLOUDSHELF_DYNAMODB_ENDPOINT", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_dynamodb_endpoint_is_read_as_a_url()
    {
        Assert.Equal(new Uri("http://127.0.0.1:4567"), Load((SyncSettings.DynamoDbEndpointVariable, "http://127.0.0.1:4567")).DynamoDbEndpoint);
        Assert.Null(Load().DynamoDbEndpoint);
    }

    [Fact]
    public void The_streams_endpoint_defaults_to_the_dynamodb_endpoint_and_can_be_set_apart()
    {
        Assert.Null(Load().DynamoDbStreamsEndpoint);
        Assert.Equal(new Uri("http://127.0.0.1:8000"),
            Load((SyncSettings.DynamoDbEndpointVariable, "http://127.0.0.1:8000")).DynamoDbStreamsEndpoint);
        Assert.Equal(new Uri("http://127.0.0.1:8001"),
            Load((SyncSettings.DynamoDbEndpointVariable, "http://127.0.0.1:8000"),
                (SyncSettings.DynamoDbStreamsEndpointVariable, "http://127.0.0.1:8001")).DynamoDbStreamsEndpoint);
    }

    [Fact]
    public void A_bad_streams_endpoint_is_refused_by_name()
    {
        var e = Refused((SyncSettings.DynamoDbStreamsEndpointVariable, "localhost:8000"));

        Assert.Equal("CLOUDSHELF_DYNAMODB_STREAMS_ENDPOINT", e.Setting);
    }

    [Theory]
    [InlineData(SyncSettings.BooksTableVariable, "ab")]
    [InlineData(SyncSettings.UsersTableVariable, "cloudshelf users")]
    [InlineData(SyncSettings.OrdersTableVariable, "cloudshelf/orders")]
    [InlineData(SyncSettings.BooksTableVariable, "")]
    public void A_bad_table_name_is_refused_by_name(string variable, string value)
    {
        var e = Refused((variable, value));

        Assert.Equal(variable, e.Setting);
        Assert.Contains(variable, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_too_long_table_name_is_refused()
    {
        Refused((SyncSettings.BooksTableVariable, new string('b', 256)));
    }

    [Theory]
    [InlineData("LOUD")]
    [InlineData("verbose")]
    [InlineData("0")]
    public void A_bad_log_level_is_refused_by_name(string level)
    {
        var e = Refused((SyncSettings.LogLevelVariable, level));

        Assert.Equal("POWERTOOLS_LOG_LEVEL", e.Setting);
        Assert.Contains("POWERTOOLS_LOG_LEVEL", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("DEBUG", LogLevel.Debug)]
    [InlineData("info", LogLevel.Information)]
    [InlineData(" Warn ", LogLevel.Warning)]
    [InlineData("ERROR", LogLevel.Error)]
    [InlineData("", LogLevel.Information)]
    public void A_log_level_is_read_in_powertools_spelling(string level, LogLevel expected)
    {
        Assert.Equal(expected, Load((SyncSettings.LogLevelVariable, level)).LogLevel);
    }

    [Fact]
    public void Table_names_default_to_the_unprefixed_names()
    {
        var settings = Load();

        Assert.Equal("cloudshelf-books", settings.Tables.Books);
        Assert.Equal("cloudshelf-users", settings.Tables.Users);
        Assert.Equal("cloudshelf-orders", settings.Tables.Orders);
        Assert.Equal(SourceTableNames.Default, settings.Tables);
    }

    [Fact]
    public void Stage_prefixed_table_names_are_taken_as_given()
    {
        var settings = Load(
            (SyncSettings.BooksTableVariable, "cloudshelf-prod-books"),
            (SyncSettings.UsersTableVariable, "cloudshelf-prod-users"),
            (SyncSettings.OrdersTableVariable, "cloudshelf-prod.orders_v2"));

        Assert.Equal(new SourceTableNames("cloudshelf-prod-books", "cloudshelf-prod-users", "cloudshelf-prod.orders_v2"), settings.Tables);
    }

    [Fact]
    public void Other_settings_have_defaults()
    {
        var settings = Load();

        Assert.Equal(Connection, settings.PostgresConnection);
        Assert.Equal("us-east-1", settings.Region);
        Assert.Equal("cloudshelf-sync", settings.ServiceName);
        Assert.Equal(LogLevel.Information, settings.LogLevel);
        Assert.False(settings.HasAwsCredentials);
    }

    [Fact]
    public void Region_service_and_credentials_are_read_when_set()
    {
        var settings = Load(
            (SyncSettings.RegionVariable, "eu-west-1"),
            (SyncSettings.ServiceNameVariable, "cloudshelf-sync-prod"),
            ("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE"));

        Assert.Equal("eu-west-1", settings.Region);
        Assert.Equal("cloudshelf-sync-prod", settings.ServiceName);
        Assert.True(settings.HasAwsCredentials);
    }
}
