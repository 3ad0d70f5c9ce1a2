using System.Diagnostics;
using System.Text;
using CloudShelf.Sync.Testing;

namespace CloudShelf.Sync.IntegrationTests.Demo;

/// <summary>
/// <c>make demo</c> at a tiny size, as a child process exactly as the Makefile runs it: its own
/// PostgreSQL and DynamoDB Local, the real CLI for migrate, backfill, stream run and quarantine.
/// </summary>
public sealed class DemoTests
{
    // A bound on a hung run, not an assertion on its speed.
    private static readonly TimeSpan Limit = TimeSpan.FromMinutes(8);

    [Fact]
    public async Task A_tiny_demo_ends_with_PostgreSQL_equal_to_DynamoDB_apart_from_the_duplicate_email()
    {
        var logs = Directory.CreateTempSubdirectory("cloudshelf-demo-").FullName;
        try
        {
            var (code, output) = await RunDemoAsync(
                "--books", "120", "--users", "60", "--orders", "150", "--traffic", "6", "--rate", "25", "--segments", "2", "--logs", logs);

            Assert.True(code == 0, $"the demo exited {code}:\n{output}");
            Assert.Contains("demo PASSED", output, StringComparison.Ordinal);
            Assert.Matches(@"PostgreSQL equals DynamoDB: \d+ items in 3 tables, apart from 1 quarantined defect\(s\)", output);
            Assert.Contains("quarantine: 1 open record(s)", output, StringComparison.Ordinal);
            Assert.Matches(@"users duplicate e-mail: .*quarantined", output);
            Assert.Matches(@"books ill-typed price: \S+ row equals DynamoDB's item", output);
            foreach (var table in new[] { "books", "users", "orders" })
                Assert.Matches($@"(?m)^{table}\s+[\d,]+\s+[\d,]+", output);
            Assert.False(Directory.Exists(Path.Combine(logs, "stream-on-failure")) &&
                         Directory.EnumerateFileSystemEntries(Path.Combine(logs, "stream-on-failure")).Any(),
                "a batch went to the on-failure destination");
        }
        finally
        {
            Directory.Delete(logs, recursive: true);
        }
    }

    private static async Task<(int Code, string Output)> RunDemoAsync(params string[] arguments)
    {
        // The demo is built with the solution, in the configuration these tests run in.
        var configuration = new DirectoryInfo(Path.TrimEndingDirectorySeparator(AppContext.BaseDirectory)).Parent!.Name;
        var dll = Path.Combine(RepositoryRoot.Find(), "tools", "CloudShelf.Sync.Demo", "bin", configuration, "net10.0", "CloudShelf.Sync.Demo.dll");
        Assert.True(File.Exists(dll), $"{dll} is missing: build the solution first");

        var startInfo = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        startInfo.ArgumentList.Add(dll);
        foreach (var argument in arguments) startInfo.ArgumentList.Add(argument);
        // The demo starts its own servers: an outer test server must not leak into it.
        startInfo.Environment.Remove(PostgresServer.ConnectionEnvironmentVariable);

        var output = new StringBuilder();
        using var process = new Process { StartInfo = startInfo };
        process.OutputDataReceived += (_, e) => Append(output, e.Data);
        process.ErrorDataReceived += (_, e) => Append(output, e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        using var timeout = new CancellationTokenSource(Limit);
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            // SIGTERM first: the demo then stops its servers and children itself.
            using (var term = Process.Start("kill", ["-TERM", process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)])) await term.WaitForExitAsync();
            if (!process.WaitForExit(TimeSpan.FromSeconds(60))) process.Kill(entireProcessTree: true);
            throw new TimeoutException($"The demo did not finish within {Limit.TotalMinutes} minutes:\n{Read(output)}");
        }
        return (process.ExitCode, Read(output));
    }

    private static void Append(StringBuilder output, string? line)
    {
        if (line is null) return;
        lock (output) output.AppendLine(line);
    }

    private static string Read(StringBuilder output)
    {
        lock (output) return output.ToString();
    }
}
