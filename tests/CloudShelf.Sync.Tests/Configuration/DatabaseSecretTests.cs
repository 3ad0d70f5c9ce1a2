using System.Net;
using Amazon.SimpleSystemsManagement;
using Amazon.SimpleSystemsManagement.Model;
using CloudShelf.Sync.Configuration;
using Moq;
using Npgsql;

namespace CloudShelf.Sync.Tests.Configuration;

public sealed class DatabaseSecretTests
{
    private const string RdsSecret = """
        {"username":"cloudshelf_sync","password":"pa55-W0rd!","engine":"postgres","host":"db.cluster-abc.eu-west-1.rds.amazonaws.com","port":5432,"dbname":"cloudshelf","dbInstanceIdentifier":"cloudshelf-prod"}
        """;

    [Fact]
    public void The_RDS_secret_JSON_is_read()
    {
        var secret = DatabaseSecret.Parse(RdsSecret, "S");

        Assert.Equal(new DatabaseSecret("cloudshelf_sync", "pa55-W0rd!", "db.cluster-abc.eu-west-1.rds.amazonaws.com", 5432, "cloudshelf"), secret);
    }

    [Fact]
    public void A_port_written_as_a_string_is_read()
    {
        Assert.Equal(6432, DatabaseSecret.Parse("""{"username":"u","password":"p","port":"6432"}""", "S").Port);
    }

    [Theory]
    [InlineData("""{"username":"u"}""")]
    [InlineData("""{"password":"hunter2"}""")]
    [InlineData("not json hunter2")]
    public void A_secret_without_credentials_names_the_setting_and_never_quotes_the_secret(string text)
    {
        var e = Assert.Throws<ConfigurationException>(() => DatabaseSecret.Parse(text, SyncSettings.DbSecretIdVariable));

        Assert.Equal(SyncSettings.DbSecretIdVariable, e.Setting);
        Assert.DoesNotContain("hunter2", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_SSM_source_reads_the_secrets_manager_reference_parameter_with_decryption()
    {
        var ssm = new Mock<IAmazonSimpleSystemsManagement>(MockBehavior.Strict);
        ssm.Setup(s => s.GetParameterAsync(It.Is<GetParameterRequest>(r =>
                    r.Name == "/aws/reference/secretsmanager/arn:aws:secretsmanager:eu-west-1:1:secret:db-AbC" && r.WithDecryption == true),
                It.IsAny<CancellationToken>()))
            .ReturnsAsync(new GetParameterResponse { Parameter = new Parameter { Value = RdsSecret } });

        var text = await new SsmSecretSource(ssm.Object).GetSecretStringAsync("arn:aws:secretsmanager:eu-west-1:1:secret:db-AbC", CancellationToken.None);

        Assert.Equal(RdsSecret, text);
    }

    [Fact]
    public async Task The_extension_source_authenticates_with_the_session_token()
    {
        HttpRequestMessage? seen = null;
        using var handler = new StubHandler(request =>
        {
            seen = request;
            return new HttpResponseMessage(HttpStatusCode.OK)
            {
                Content = new StringContent(System.Text.Json.JsonSerializer.Serialize(new Dictionary<string, string> { ["SecretString"] = RdsSecret },
                    SecretJsonContext.Default.DictionaryStringString)),
            };
        });
        using var http = new HttpClient(handler, disposeHandler: false) { BaseAddress = new Uri("http://localhost:2773/") };

        var text = await new ExtensionSecretSource(http, "session-token-1").GetSecretStringAsync("db secret/1", CancellationToken.None);

        Assert.Equal(RdsSecret, text);
        Assert.Equal("http://localhost:2773/secretsmanager/get?secretId=db%20secret%2F1", seen!.RequestUri!.AbsoluteUri);
        Assert.Equal("session-token-1", Assert.Single(seen.Headers.GetValues("X-Aws-Parameters-Secrets-Token")));
    }

    [Fact]
    public async Task The_extension_source_fails_clearly_when_refused()
    {
        using var handler = new StubHandler(_ => new HttpResponseMessage(HttpStatusCode.Forbidden));
        using var http = new HttpClient(handler, disposeHandler: false) { BaseAddress = new Uri("http://localhost:2773/") };

        var e = await Assert.ThrowsAsync<HttpRequestException>(() => new ExtensionSecretSource(http, "t").GetSecretStringAsync("s", CancellationToken.None));

        Assert.Contains("403", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Credentials_are_fetched_once_and_again_after_the_password_is_refused()
    {
        var source = new Mock<ISecretSource>();
        source.SetupSequence(s => s.GetSecretStringAsync("id", It.IsAny<CancellationToken>()))
            .ReturnsAsync("""{"username":"u","password":"old"}""")
            .ReturnsAsync("""{"username":"u","password":"rotated"}""");
        var credentials = new DatabaseCredentials(source.Object, "id", "S");

        Assert.Equal("old", (await credentials.GetAsync(CancellationToken.None)).Password);
        Assert.Equal("old", (await credentials.GetAsync(CancellationToken.None)).Password);
        credentials.InvalidateOn(new NpgsqlException("network down"));
        Assert.Equal("old", (await credentials.GetAsync(CancellationToken.None)).Password);
        credentials.InvalidateOn(new PostgresException("password authentication failed", "FATAL", "FATAL", PostgresErrorCodes.InvalidPassword));
        Assert.Equal("rotated", (await credentials.GetAsync(CancellationToken.None)).Password);
        source.Verify(s => s.GetSecretStringAsync("id", It.IsAny<CancellationToken>()), Times.Exactly(2));
    }

    private sealed class StubHandler(Func<HttpRequestMessage, HttpResponseMessage> respond) : HttpMessageHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken) =>
            Task.FromResult(respond(request));
    }
}

[System.Text.Json.Serialization.JsonSerializable(typeof(Dictionary<string, string>))]
internal sealed partial class SecretJsonContext : System.Text.Json.Serialization.JsonSerializerContext;
