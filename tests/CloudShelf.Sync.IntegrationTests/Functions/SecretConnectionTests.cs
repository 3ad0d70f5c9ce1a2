using CloudShelf.Sync.Configuration;
using CloudShelf.Sync.Hosting;
using CloudShelf.Sync.Observability;
using CloudShelf.Sync.StreamSync;
using Moq;
using Npgsql;
using static CloudShelf.Sync.Testing.Items;
using static CloudShelf.Sync.Testing.StreamEvents;

namespace CloudShelf.Sync.IntegrationTests.Functions;

/// <summary>The AWS way to the database: credentials from the RDS secret, TLS on, password never logged.</summary>
public sealed class SecretConnectionTests
{
    private static SyncSettings AwsSettings(string? proxyHost = null) => SyncSettings.Load(new DictionaryEnvironment(new Dictionary<string, string>
    {
        [SyncSettings.DbSecretIdVariable] = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:cloudshelf-db-AbCdEf",
        [SyncSettings.DbHostVariable] = proxyHost ?? "",
    }));

    private static Mock<ISecretSource> Secret(string json)
    {
        var source = new Mock<ISecretSource>();
        source.Setup(s => s.GetSecretStringAsync("arn:aws:secretsmanager:eu-west-1:123456789012:secret:cloudshelf-db-AbCdEf", It.IsAny<CancellationToken>()))
            .ReturnsAsync(json);
        return source;
    }

    [Fact]
    public async Task The_connection_comes_from_the_secret_with_TLS_required_and_no_password_in_the_string()
    {
        var source = Secret("""{"username":"sync","password":"S3cret-Pass","host":"db.internal","port":6543,"dbname":"shelf"}""");

        await using var services = await SyncServices.CreateAsync(AwsSettings(), NullLog.Instance,
            new EmfMetrics(TextWriter.Null, "t", TimeProvider.System), TimeProvider.System, secretSource: source.Object);

        var built = new NpgsqlConnectionStringBuilder(services.DataSource.ConnectionString);
        Assert.Equal(("db.internal", 6543, "shelf", "sync", SslMode.Require), (built.Host, built.Port, built.Database, built.Username, built.SslMode));
        Assert.Null(built.Password);
    }

    [Fact]
    public async Task An_RDS_Proxy_endpoint_overrides_the_secrets_host()
    {
        var source = Secret("""{"username":"sync","password":"p","host":"db.internal"}""");

        await using var services = await SyncServices.CreateAsync(AwsSettings("cloudshelf.proxy-abc.eu-west-1.rds.amazonaws.com"), NullLog.Instance,
            new EmfMetrics(TextWriter.Null, "t", TimeProvider.System), TimeProvider.System, secretSource: source.Object);

        Assert.Equal("cloudshelf.proxy-abc.eu-west-1.rds.amazonaws.com", new NpgsqlConnectionStringBuilder(services.DataSource.ConnectionString).Host);
    }

    [Fact]
    public async Task A_failing_database_never_puts_the_password_in_the_logs()
    {
        var port = Testing.FreeTcpPort.Next();
        var source = Secret($$"""{"username":"sync","password":"S3cret-Pass","host":"127.0.0.1","port":{{port}},"dbname":"shelf"}""");
        using var output = new StringWriter();
        var log = new JsonLogger(output, new LogContext(), TimeProvider.System, LogLevel.Debug);

        await using var services = await SyncServices.CreateAsync(AwsSettings(), log,
            new EmfMetrics(output, "t", TimeProvider.System), TimeProvider.System, secretSource: source.Object);
        var result = await services.Processor.ProcessAsync([new SourceRecord(Insert(Books, "1", Book("book-1")), Books)], CancellationToken.None);

        Assert.Equal(RecordOutcome.Failed, Assert.Single(result.Outcomes));
        Assert.Contains("Batch not applied", output.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain("S3cret-Pass", output.ToString(), StringComparison.Ordinal);
    }
}
