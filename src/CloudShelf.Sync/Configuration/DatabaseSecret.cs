using System.Globalization;
using System.Net.Http.Headers;
using System.Text.Json;
using Amazon.SimpleSystemsManagement;
using Amazon.SimpleSystemsManagement.Model;
using Npgsql;

namespace CloudShelf.Sync.Configuration;

/// <summary>The fields of an RDS database secret in Secrets Manager.</summary>
/// <param name="Username">username.</param>
/// <param name="Password">password.</param>
/// <param name="Host">host.</param>
/// <param name="Port">port.</param>
/// <param name="Database">dbname.</param>
public sealed record DatabaseSecret(string Username, string Password, string? Host, int? Port, string? Database)
{
    /// <summary>Reads the secret JSON; the message of a failure never quotes the secret.</summary>
    /// <exception cref="ConfigurationException">The secret is not the RDS secret JSON.</exception>
    public static DatabaseSecret Parse(string secretString, string setting)
    {
        try
        {
            using var document = JsonDocument.Parse(secretString);
            var root = document.RootElement;
            string? Text(string name) => root.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
            int? Port() => root.TryGetProperty("port", out var v)
                ? v.ValueKind == JsonValueKind.Number ? v.GetInt32()
                : int.TryParse(v.GetString(), NumberStyles.None, CultureInfo.InvariantCulture, out var p) ? p : null
                : null;
            var username = Text("username");
            var password = Text("password");
            if (string.IsNullOrEmpty(username) || string.IsNullOrEmpty(password))
                throw new ConfigurationException(setting, "names a secret without 'username' and 'password' (expected the RDS secret JSON).");
            return new DatabaseSecret(username, password, Text("host"), Port(), Text("dbname"));
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or FormatException)
        {
            throw new ConfigurationException(setting, "names a secret that is not JSON (expected the RDS secret JSON).");
        }
    }
}

/// <summary>Where the database secret comes from.</summary>
public interface ISecretSource
{
    /// <summary>The secret string of <paramref name="secretId"/>, fetched now.</summary>
    Task<string> GetSecretStringAsync(string secretId, CancellationToken cancellationToken);
}

/// <summary>
/// Secrets Manager through SSM Parameter Store's reference path
/// (<c>/aws/reference/secretsmanager/&lt;secret-id&gt;</c>), which needs no Secrets Manager client.
/// </summary>
public sealed class SsmSecretSource(IAmazonSimpleSystemsManagement ssm) : ISecretSource
{
    /// <inheritdoc />
    public async Task<string> GetSecretStringAsync(string secretId, CancellationToken cancellationToken)
    {
        var response = await ssm.GetParameterAsync(new GetParameterRequest
        {
            Name = "/aws/reference/secretsmanager/" + secretId,
            WithDecryption = true,
        }, cancellationToken);
        return response.Parameter.Value;
    }
}

/// <summary>
/// The AWS Parameters and Secrets Lambda Extension's local endpoint
/// (<c>http://localhost:PORT/secretsmanager/get?secretId=...</c>, authenticated with the session token).
/// </summary>
public sealed class ExtensionSecretSource(HttpClient http, string sessionToken) : ISecretSource
{
    /// <summary>The extension's default port.</summary>
    public const int DefaultPort = 2773;

    /// <inheritdoc />
    public async Task<string> GetSecretStringAsync(string secretId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(http);
        using var request = new HttpRequestMessage(HttpMethod.Get, "secretsmanager/get?secretId=" + Uri.EscapeDataString(secretId));
        request.Headers.Add("X-Aws-Parameters-Secrets-Token", sessionToken);
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        using var response = await http.SendAsync(request, cancellationToken);
        if (!response.IsSuccessStatusCode)
            throw new HttpRequestException($"The Parameters and Secrets extension answered {(int)response.StatusCode} for the database secret.");
        await using var body = await response.Content.ReadAsStreamAsync(cancellationToken);
        using var document = await JsonDocument.ParseAsync(body, cancellationToken: cancellationToken);
        return document.RootElement.TryGetProperty("SecretString", out var secret) && secret.GetString() is { } text
            ? text
            : throw new InvalidOperationException("The Parameters and Secrets extension answered without a SecretString.");
    }
}

/// <summary>
/// The database password, fetched from the secret once and cached; fetched again after an
/// authentication failure (the secret was rotated), so that the next connection uses the new one.
/// </summary>
public sealed class DatabaseCredentials(ISecretSource source, string secretId, string setting)
{
    private readonly SemaphoreSlim _gate = new(1, 1);
    private DatabaseSecret? _secret;

    /// <summary>The secret, from the cache or fetched now.</summary>
    public async Task<DatabaseSecret> GetAsync(CancellationToken cancellationToken)
    {
        if (Volatile.Read(ref _secret) is { } cached) return cached;
        await _gate.WaitAsync(cancellationToken);
        try
        {
            return _secret ??= DatabaseSecret.Parse(await source.GetSecretStringAsync(secretId, cancellationToken), setting);
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Forgets the cached secret when <paramref name="error"/> says the password was refused.</summary>
    public void InvalidateOn(Exception error)
    {
        if (error is PostgresException { SqlState: PostgresErrorCodes.InvalidPassword or PostgresErrorCodes.InvalidAuthorizationSpecification })
            Volatile.Write(ref _secret, null);
    }
}
