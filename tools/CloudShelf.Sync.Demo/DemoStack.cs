using Amazon.DynamoDBv2;
using Amazon.Runtime;
using CloudShelf.Sync.Configuration;
using CloudShelf.Sync.Mapping;
using CloudShelf.Sync.Testing;
using Npgsql;

namespace CloudShelf.Sync.Demo;

/// <summary>
/// The local stack of one demo run: a throwaway PostgreSQL cluster and DynamoDB Local, each on a
/// free port, and the settings every CLI child process gets. Disposing it stops both and deletes
/// the cluster's files.
/// </summary>
internal sealed class DemoStack : IAsyncDisposable
{
    // DynamoDB Local accepts any credentials; the SDK only needs some to sign with.
    private const string AccessKey = "demo";
    private const string SecretKey = "demo";
    private const string Region = "us-east-1";

    private PostgresServer? _postgres;
    private DynamoDbLocalServer? _dynamo;

    private DemoStack(string cliDll, string bootstrap, string outputDirectory, string logDirectory)
    {
        CliDll = cliDll;
        Bootstrap = bootstrap;
        OutputDirectory = outputDirectory;
        LogDirectory = logDirectory;
    }

    public string CliDll { get; }

    /// <summary>The published Native AOT bootstrap that <c>stream run --bootstrap</c> runs behind its local Runtime API.</summary>
    public string Bootstrap { get; }

    /// <summary>Where the HTML report goes.</summary>
    public string OutputDirectory { get; }

    public string LogDirectory { get; }

    /// <summary>stream run's on-failure destination: batches that ran out of retries or record age.</summary>
    public string OnFailureDirectory => Path.Combine(LogDirectory, "stream-on-failure");

    public string PostgresConnection { get; private set; } = "";

    public string DynamoDbEndpoint => _dynamo?.Endpoint ?? throw new InvalidOperationException("DynamoDB Local is not running.");

    public AmazonDynamoDBClient DynamoDb { get; private set; } = null!;

    public NpgsqlDataSource DataSource { get; private set; } = null!;

    public SyncMapping Mapping { get; } = CloudShelfMapping.Create(SourceTableNames.Default);

    /// <summary>The environment of every CLI child: the stack's endpoints and the default table names.</summary>
    public IReadOnlyDictionary<string, string> CliEnvironment => new Dictionary<string, string>
    {
        [SyncSettings.PostgresConnectionVariable] = PostgresConnection,
        [SyncSettings.DynamoDbEndpointVariable] = DynamoDbEndpoint,
        [SyncSettings.RegionVariable] = Region,
        [SyncSettings.LogLevelVariable] = "WARN",
        ["AWS_ACCESS_KEY_ID"] = AccessKey,
        ["AWS_SECRET_ACCESS_KEY"] = SecretKey,
    };

    /// <summary>Finds the built CLI next to this build of the demo (same configuration), and the published bootstrap.</summary>
    public static DemoStack Locate(DemoOptions options)
    {
        var root = RepositoryRoot.Find();
        // bin/<Configuration>/net10.0/ of this tool names the configuration the CLI was built with too.
        var configuration = new DirectoryInfo(Path.TrimEndingDirectorySeparator(AppContext.BaseDirectory)).Parent?.Name ?? "Release";
        var cli = Path.Combine(root, "src", "CloudShelf.Sync.Cli", "bin", configuration, "net10.0", "cloudshelf-sync.dll");
        if (!File.Exists(cli)) throw new InvalidOperationException($"The CLI is not built: {cli} is missing (make demo builds it).");
        var bootstrap = Path.GetFullPath(options.Bootstrap ?? Path.Combine(root, ".artifacts", "lambda", "bootstrap"));
        if (!File.Exists(bootstrap)) throw new InvalidOperationException($"The bootstrap is not published: {bootstrap} is missing (make demo publishes it; or --bootstrap PATH).");
        var output = Path.GetFullPath(options.Out ?? Path.Combine(root, ".artifacts", "demo"));
        return new DemoStack(cli, bootstrap, output, Path.GetFullPath(options.Logs ?? Path.Combine(output, "logs")));
    }

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        // Only what an earlier run left: the folder may be one the user named.
        Directory.CreateDirectory(LogDirectory);
        foreach (var log in Directory.GetFiles(LogDirectory, "*.log")) File.Delete(log);
        if (Directory.Exists(OnFailureDirectory)) Directory.Delete(OnFailureDirectory, recursive: true);
        var postgres = PostgresServer.StartThrowawayAsync(cancellationToken);
        var dynamo = DynamoDbLocalServer.StartAsync(cancellationToken);
        // Both are awaited before either failure is thrown, so a started server is always disposed.
        try
        {
            await Task.WhenAll(postgres, dynamo);
        }
        finally
        {
            if (postgres.IsCompletedSuccessfully) _postgres = postgres.Result;
            if (dynamo.IsCompletedSuccessfully) _dynamo = dynamo.Result;
        }

        PostgresConnection = await _postgres!.CreateDatabaseAsync(ct: cancellationToken);
        DataSource = NpgsqlDataSource.Create(PostgresConnection);
        DynamoDb = new AmazonDynamoDBClient(new BasicAWSCredentials(AccessKey, SecretKey),
            new AmazonDynamoDBConfig { ServiceURL = _dynamo!.Endpoint, AuthenticationRegion = Region });
    }

    /// <summary>Starts <c>cloudshelf-sync ARGS</c>; its output goes to <c>logs/NAME.log</c>.</summary>
    public CliProcess StartCli(string logName, params string[] arguments) =>
        CliProcess.Start(CliDll, arguments, CliEnvironment, Path.Combine(LogDirectory, logName + ".log"));

    /// <summary>Runs <c>cloudshelf-sync ARGS</c> to its end and fails unless it exits with one of <paramref name="expected"/>.</summary>
    public async Task<string> RunCliAsync(string logName, int[] expected, string[] arguments, CancellationToken cancellationToken)
    {
        await using var cli = StartCli(logName, arguments);
        var code = await cli.WaitAsync(cancellationToken);
        if (!expected.Contains(code))
            throw new InvalidOperationException($"`{cli.Description}` exited {code}; see {Path.Combine(LogDirectory, logName + ".log")}.");
        return cli.Stdout;
    }

    public async ValueTask DisposeAsync()
    {
        DynamoDb?.Dispose();
        if (DataSource is not null) await DataSource.DisposeAsync();
        try
        {
            if (_dynamo is not null) await _dynamo.DisposeAsync();
        }
        finally
        {
            if (_postgres is not null) await _postgres.DisposeAsync();
        }
    }
}
