using System.Text;
using System.Text.Json;
using CloudShelf.Sync.Cli;
using CloudShelf.Sync.Configuration;
using CloudShelf.Sync.IntegrationTests.Infrastructure;
using CloudShelf.Sync.Lag;
using CloudShelf.Sync.Streams;
using CloudShelf.Sync.Testing;
using static CloudShelf.Sync.Testing.Items;
using static CloudShelf.Sync.Testing.StreamEvents;

namespace CloudShelf.Sync.IntegrationTests.Lag;

/// <summary><c>cloudshelf-sync quarantine import --dir</c> of the local on-failure destination, then replay.</summary>
[Collection(SyncServerCollection.Name)]
public sealed class QuarantineImportTests(SyncServerFixture fixture) : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("cloudshelf-on-failure-").FullName;

    private static async Task<(int ExitCode, string Out, string Error)> RunAsync(string connection, params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        using var input = new MemoryStream();
        using var inputReader = new StreamReader(input);
        var code = await CliApplication.RunAsync(args, new CliConsole(inputReader, input, output, error, false),
            new DictionaryEnvironment(new Dictionary<string, string> { [SyncSettings.PostgresConnectionVariable] = connection }),
            TimeProvider.System, CancellationToken.None);
        return (code, output.ToString(), error.ToString());
    }

    [Fact]
    public async Task A_discarded_batch_imported_from_its_on_failure_record_is_replayed_into_PostgreSQL()
    {
        await using var db = await SyncDatabase.CreateAsync(fixture);
        var first = Book("book-1", price: "10.00");
        var changed = Book("book-1", price: "12.50", stock: 4);
        var second = Book("book-2");
        var batch = new[]
        {
            Insert(Books, "300000000000000000101", first),
            Insert(Books, "300000000000000000102", second),
            Modify(Books, "300000000000000000103", changed, first),
            Insert(Users, "300000000000000000104", User("user-1", "ada@example.com")),
        };
        // Two overlapping on-failure records (a batch and its bisected half) hold the MODIFY twice.
        await File.WriteAllTextAsync(Path.Combine(_directory, "a.json"), OnFailureRecords.Json(Arn(Books), "shardId-1", batch[..3]));
        await File.WriteAllTextAsync(Path.Combine(_directory, "b.json"), OnFailureRecords.Json(Arn(Books), "shardId-1", batch[2..]));

        var import = await RunAsync(db.ConnectionString, "quarantine", "import", "--dir", _directory, "--json");
        var again = await RunAsync(db.ConnectionString, "quarantine", "import", "--dir", _directory, "--json");

        Assert.True(import.ExitCode == 0, import.Error);
        using (var counts = JsonDocument.Parse(import.Out))
        {
            Assert.Equal(2, counts.RootElement.GetProperty("files").GetInt32());
            Assert.Equal(4, counts.RootElement.GetProperty("quarantined").GetInt32());
        }
        using (var counts = JsonDocument.Parse(again.Out))
            Assert.Equal(0, counts.RootElement.GetProperty("quarantined").GetInt32());
        var open = await db.Services.Quarantine.ListAsync();
        Assert.Equal(batch.Select(r => r.Dynamodb!.SequenceNumber), open.Select(q => q.SequenceNumber));
        Assert.All(open, q => Assert.Equal(LostChangeQuarantine.OnFailureCode, q.ErrorCode));
        Assert.All(open, q => Assert.Contains("RecordAgeExceeded", q.Reason, StringComparison.Ordinal));

        var replay = await RunAsync(db.ConnectionString, "quarantine", "replay", "--all-open");

        Assert.Equal(0, replay.ExitCode);
        Assert.True(ItemEquality.Equal(changed, (await db.ItemAsync(Books, "book-1"))!));
        Assert.True(ItemEquality.Equal(second, (await db.ItemAsync(Books, "book-2"))!));
        Assert.True(ItemEquality.Equal(User("user-1", "ada@example.com"), (await db.ItemAsync(Users, "user-1"))!));
        Assert.Equal(2L, await db.ScalarAsync<long>("SELECT count(*) FROM cloudshelf.books"));
        Assert.Equal(1L, await db.ScalarAsync<long>("SELECT count(*) FROM cloudshelf.users"));
        Assert.Empty(await db.Services.Quarantine.ListAsync());
    }

    [Fact]
    public async Task An_on_failure_record_without_its_batch_is_refused_by_name_and_nothing_is_imported()
    {
        await using var db = await SyncDatabase.CreateAsync(fixture);
        var path = Path.Combine(_directory, "sqs-style.json");
        await File.WriteAllTextAsync(path, OnFailureRecords.Json(Arn(Books), "shardId-1", [Insert(Books, "300000000000000000201", Book("book-1"))], withPayload: false));

        var run = await RunAsync(db.ConnectionString, "quarantine", "import", "--dir", _directory);

        Assert.Equal(2, run.ExitCode);
        Assert.Contains(path, run.Error, StringComparison.Ordinal);
        Assert.Contains("holds no payload", run.Error, StringComparison.Ordinal);
        Assert.Empty(await db.Services.Quarantine.ListAsync(includeResolved: true));
    }

    [Theory]
    [InlineData("quarantine", "import")]
    [InlineData("quarantine", "import", "--dir", "/nonexistent/on-failure", "--s3", "s3://bucket/prefix")]
    [InlineData("quarantine", "import", "--s3", "bucket/prefix")]
    public async Task Import_without_exactly_one_valid_source_is_a_usage_error(params string[] args)
    {
        var run = await RunAsync("Host=127.0.0.1;Port=1;Username=nobody", args);

        Assert.Equal(2, run.ExitCode);
        Assert.Contains("error:", run.Error, StringComparison.Ordinal);
    }

    /// <inheritdoc />
    public void Dispose() => Directory.Delete(_directory, recursive: true);
}
