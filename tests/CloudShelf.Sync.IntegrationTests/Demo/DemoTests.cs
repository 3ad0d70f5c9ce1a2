using System.Diagnostics;
using System.Text;
using CloudShelf.Sync.Testing;

namespace CloudShelf.Sync.IntegrationTests.Demo;

/// <summary>
/// <c>make demo</c> at a tiny size, as a child process exactly as the Makefile runs it: its own
/// PostgreSQL and DynamoDB Local, the real CLI for migrate, backfill, lag, drift, quarantine and the
/// cut-over check, and stream-sync as the published bootstrap behind <c>stream run --bootstrap</c>;
/// then its report page rendered in headless Chromium.
/// </summary>
public sealed class DemoTests
{
    // A bound on a hung run, not an assertion on its speed.
    private static readonly TimeSpan Limit = TimeSpan.FromMinutes(8);

    [Fact]
    public async Task A_tiny_demo_resolves_the_duplicate_email_reaches_GO_and_writes_a_report_page_whose_charts_show()
    {
        var bootstrap = await PublishedBootstrap.PathAsync();
        var output = Directory.CreateTempSubdirectory("cloudshelf-demo-").FullName;
        try
        {
            var (code, text) = await RunDemoAsync(
                "--books", "120", "--users", "60", "--orders", "150", "--traffic", "8", "--rate", "25", "--segments", "2",
                "--lag-every", "3", "--drift-every", "8", "--bootstrap", bootstrap, "--out", output);

            Assert.True(code == 0, $"the demo exited {code}:\n{text}");
            Assert.Contains("demo PASSED", text, StringComparison.Ordinal);
            Assert.Contains("verdict: GO", text, StringComparison.Ordinal);
            Assert.Matches(@"PostgreSQL equals DynamoDB: \d+ items in 3 tables", text);
            // The genuine defect was quarantined with its reason, fixed by the operator's step, and resolved.
            Assert.Matches(@"1 open record\(s\)", text);
            Assert.Matches(@"users_email_key", text);
            Assert.Matches(@"users duplicate e-mail: \S+ quarantined, fixed, row equals DynamoDB's item", text);
            Assert.Contains("open now: 0", text, StringComparison.Ordinal);
            Assert.Matches(@"books ill-typed price: \S+ row equals DynamoDB's item", text);
            foreach (var check in new[] { "quarantine", "unapplied", "drift users", "counts users", "error rate" })
                Assert.Matches($@"(?m)^│ ok │ {check}\s", text);
            foreach (var table in new[] { "books", "users", "orders" })
                Assert.Matches($@"(?m)^│ {table}\s+│\s+[\d,]+ │\s+[\d,]+ │", text);
            Assert.False(Directory.Exists(Path.Combine(output, "logs", "stream-on-failure")) &&
                         Directory.EnumerateFileSystemEntries(Path.Combine(output, "logs", "stream-on-failure")).Any(),
                "a batch went to the on-failure destination");

            var page = Path.Combine(output, "report.html");
            Assert.True(File.Exists(page), $"{page} is missing");
            var html = await File.ReadAllTextAsync(page);
            Assert.Contains("id=\"verdict\">GO<", html, StringComparison.Ordinal);
            Assert.DoesNotMatch(@"(src|href)\s*=\s*""?(https?:)?//", html);
            var rendering = await HeadlessChromium.RenderAsync(page);
            Assert.Empty(rendering.ConsoleErrors);
            Assert.Empty(rendering.ExternalRequests);
            Assert.Equal(["chart-lag", "chart-throughput", "chart-unapplied", "chart-drift"], rendering.Charts.Select(c => c.Id));
            Assert.Empty(rendering.ChartsNotShown());
        }
        finally
        {
            Directory.Delete(output, recursive: true);
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
