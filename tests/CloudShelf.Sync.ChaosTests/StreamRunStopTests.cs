using CloudShelf.Sync.ChaosTests.Harness;
using CloudShelf.Sync.Configuration;
using CloudShelf.Sync.Testing;
using Xunit.Abstractions;
using static CloudShelf.Sync.Testing.Items;

namespace CloudShelf.Sync.ChaosTests;

/// <summary>
/// Scenario 11: the real <c>stream run --bootstrap</c> process stopped by a signal while a batch is held
/// inside its transaction (a row lock), as the demo, a process manager and an operator at a terminal stop it.
/// </summary>
[Collection(ChaosCollection.Name)]
public sealed class StreamRunStopTests(ChaosServers servers, ITestOutputHelper output)
{
    private static readonly TimeSpan StopLimit = TimeSpan.FromSeconds(90);

    // Regression: the demo stopped stream run with SIGINT, which a background job of a non-interactive
    // shell starts with ignored; run that way, the demo waited 60 s and failed.
    [Fact]
    public async Task SIGTERM_stops_stream_run_after_the_batch_in_flight_even_where_SIGINT_is_ignored_and_nothing_is_lost()
    {
        await using var stack = await ChaosStack.CreateAsync(servers, "stop-sigterm");
        await using var cli = await StartAsync(stack, ignoreSigint: true);
        var traffic = new Traffic(stack, seed: 11);
        var writing = traffic.RunAsync(operations: 150, pause: TimeSpan.FromMilliseconds(15));

        await using (await HoldABatchAsync(stack))
        {
            await cli.SignalAsync("INT");
            await cli.SignalAsync("TERM");
            await Eventually.WaitAsync(() => cli.Stderr.Contains("Stopping (SIGTERM again to stop at once).", StringComparison.Ordinal),
                "stream run to begin stopping on SIGTERM");
            // The held batch is in flight: the stop waits for it.
            Assert.False(cli.HasExited, "stream run stopped without waiting for the batch in flight");
        }
        var exit = await cli.WaitAsync(StopLimit, "stream run to stop after the batch in flight");
        await writing;

        output.WriteLine($"{traffic.Writes} writes; stream run exit {exit}; stdout:\n{cli.Stdout}");
        Assert.True(exit == 0, cli.Stderr);
        Assert.Contains(stack.Books + ":", cli.Stdout, StringComparison.Ordinal);
        await AssertHeldChangeAppliedAsync(stack, "by the stopped run itself");
        // What the stopped run left is read from its checkpoints by the next one.
        await stack.DrainAsync();
        await stack.AssertEndStateAsync();
    }

    // Regression: Ctrl-C in a terminal reached the bootstraps too (one process group), which died mid-batch.
    [Fact]
    public async Task Ctrl_C_in_a_terminal_stops_stream_run_after_the_batch_in_flight_which_its_bootstrap_finishes()
    {
        await using var stack = await ChaosStack.CreateAsync(servers, "stop-ctrl-c");
        await using var cli = await StartAsync(stack, ignoreSigint: false);
        await using (await HoldABatchAsync(stack))
        {
            await cli.SignalGroupAsync("INT");
            await Eventually.WaitAsync(() => cli.Stderr.Contains("Stopping (Ctrl-C again to stop at once).", StringComparison.Ordinal),
                "stream run to begin stopping on Ctrl-C");
        }
        var exit = await cli.WaitAsync(StopLimit, "stream run to stop after the batch in flight");

        Assert.True(exit == 0, cli.Stderr);
        Assert.DoesNotContain("Runtime exited", cli.Stderr, StringComparison.Ordinal);
        await AssertHeldChangeAppliedAsync(stack, "by the stopped run's bootstrap");
        await stack.DrainAsync();
        await stack.AssertEndStateAsync();
    }

    [Fact]
    public async Task A_second_SIGTERM_stops_stream_run_at_once_and_the_held_batch_is_delivered_again_by_the_next_run()
    {
        await using var stack = await ChaosStack.CreateAsync(servers, "stop-twice");
        await using var cli = await StartAsync(stack, ignoreSigint: false);
        IReadOnlyList<int> bootstraps;
        await using (await HoldABatchAsync(stack))
        {
            bootstraps = cli.Children();
            Assert.NotEmpty(bootstraps);
            await cli.SignalAsync("TERM");
            await Eventually.WaitAsync(() => cli.Stderr.Contains("Stopping (", StringComparison.Ordinal), "stream run to begin stopping");
            await cli.SignalAsync("TERM");
            var exit = await cli.WaitAsync(StopLimit, "a second SIGTERM to end stream run while its batch is held");
            Assert.NotEqual(0, exit);
            // Orphaned, a bootstrap would still finish the held batch; killed here, only a redelivery can apply it.
            foreach (var pid in bootstraps.Where(Alive))
            {
                using var process = System.Diagnostics.Process.GetProcessById(pid);
                process.Kill();
            }
        }
        await Eventually.WaitAsync(() => bootstraps.All(pid => !Alive(pid)), "the bootstraps of the ended run to exit");
        Assert.Equal("24.99", await HeldPriceAsync(stack));
        await stack.DrainAsync();
        await AssertHeldChangeAppliedAsync(stack, "by the next run");
        await stack.AssertEndStateAsync();
    }

    private static async Task AssertHeldChangeAppliedAsync(ChaosStack stack, string by)
    {
        var price = await HeldPriceAsync(stack);
        Assert.True(price == "33", $"the held change of book-held was not applied {by}: its price is {price ?? "(no row)"}");
    }

    private static Task<string?> HeldPriceAsync(ChaosStack stack)
    {
        var books = stack.Services.Mapping.ForTable("books")!;
        return stack.ScalarAsync<string>($"SELECT price::text FROM {books.Schema}.{books.Table} WHERE {books.KeyColumn} = 'book-held'");
    }

    private static async Task<CliRun> StartAsync(ChaosStack stack, bool ignoreSigint)
    {
        var bootstrap = await PublishedBootstrap.PathAsync();
        var environment = new Dictionary<string, string>(stack.Environment) { [SyncSettings.LogLevelVariable] = "WARN" };
        await stack.PutAsync(stack.Books, Book("book-held"));
        var cli = CliRun.Start(environment, ignoreSigint, "stream", "run", "--bootstrap", bootstrap, "--batch-size", "20", "--batch-window", "0",
            "--on-failure-dir", stack.OnFailureDirectory);
        await Eventually.WaitAsync(async () => cli.HasExited || await stack.HasRowAsync("books", "book-held"), "book-held to be applied");
        Assert.False(cli.HasExited, cli.Stderr);
        return cli;
    }

    /// <summary>Locks book-held's row and changes the item: the batch that carries the change waits inside its transaction.</summary>
    private static async Task<RowLock> HoldABatchAsync(ChaosStack stack)
    {
        var held = await RowLock.TakeAsync(stack, "books", "book-held");
        await stack.PutAsync(stack.Books, Book("book-held", price: "33.00"));
        await Eventually.WaitAsync(async () => await RowLock.WaitersAsync(stack) > 0, "a batch to wait for the held row");
        return held;
    }

    private static bool Alive(int pid)
    {
        try
        {
            // A zombie (exited, not yet reaped by whoever inherited it) is not running.
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            return stat[(stat.LastIndexOf(')') + 2)..][0] != 'Z';
        }
        catch (IOException)
        {
            return false;
        }
    }
}
