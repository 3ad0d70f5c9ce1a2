using System.Text;
using System.Text.Json;
using CloudShelf.Sync.Hosting;
using CloudShelf.Sync.Functions.Runtime;
using CloudShelf.Sync.IntegrationTests.Infrastructure;
using CloudShelf.Sync.Observability;
using CloudShelf.Sync.Streams;
using CloudShelf.Sync.Testing;
using static CloudShelf.Sync.Testing.Items;
using static CloudShelf.Sync.Testing.StreamEvents;

namespace CloudShelf.Sync.IntegrationTests.Functions;

/// <summary>The Runtime API loop against a fake Runtime API over real HTTP.</summary>
[Collection(SyncServerCollection.Name)]
public sealed class RuntimeLoopTests(SyncServerFixture fixture)
{
    private sealed class DelegateHandler(Func<ReadOnlyMemory<byte>, InvocationContext, CancellationToken, Task<byte[]>> handle) : IFunctionHandler
    {
        public Task<byte[]> HandleAsync(ReadOnlyMemory<byte> payload, InvocationContext context, CancellationToken cancellationToken) =>
            handle(payload, context, cancellationToken);
    }

    /// <summary>Records the trace id each invocation publishes, instead of setting the test process's environment.</summary>
    private sealed class RecordingInvocationEnvironment : IInvocationEnvironment
    {
        public string? TraceId { get; private set; } = "unset";

        public void SetTraceId(string? traceId) => TraceId = traceId;
    }

    private sealed class Loop : IAsyncDisposable
    {
        private readonly CancellationTokenSource _stop = new();
        private readonly RuntimeApiClient _client;
        private readonly Task _running;

        public Loop(FakeRuntimeApi api, IFunctionHandler handler, StringWriter output, TimeSpan? margin = null, IInvocationEnvironment? environment = null)
        {
            _client = new RuntimeApiClient(api.HostAndPort);
            var context = new LogContext { FunctionName = "cloudshelf-sync-test" };
            var writer = TextWriter.Synchronized(output);
            Log = new JsonLogger(writer, context, TimeProvider.System);
            var runtime = new LambdaRuntime(_client, context, Log,
                new EmfMetrics(writer, "cloudshelf-sync", TimeProvider.System), TimeProvider.System, margin ?? InvocationContext.DefaultDeadlineMargin,
                environment ?? new RecordingInvocationEnvironment());
            _running = Task.Run(() => runtime.RunAsync(handler, _stop.Token));
        }

        public ILog Log { get; }

        public async ValueTask DisposeAsync()
        {
            await _stop.CancelAsync();
            try
            {
                await _running;
            }
            catch (OperationCanceledException)
            {
                // Stopped while waiting for the next invocation.
            }
            _client.Dispose();
            _stop.Dispose();
        }
    }

    [Fact]
    public async Task A_response_is_posted_for_each_invocation()
    {
        await using var api = FakeRuntimeApi.Start();
        using var output = new StringWriter();
        await using var loop = new Loop(api, new DelegateHandler((payload, _, _) => Task.FromResult(payload.ToArray().Reverse().ToArray())), output);

        var first = await api.InvokeAsync("abc"u8.ToArray());
        var second = await api.InvokeAsync("xyz"u8.ToArray());

        Assert.Equal(("response", "cba"), (first.Kind, first.Body));
        Assert.Equal(("response", "zyx"), (second.Kind, second.Body));
    }

    [Fact]
    public async Task An_invocation_without_a_deadline_is_served_and_the_loop_goes_on()
    {
        // Regression: a missing Lambda-Runtime-Deadline-Ms (some emulators) made the timer throw
        // outside the invocation's error handling and ended the loop.
        await using var api = FakeRuntimeApi.Start();
        using var output = new StringWriter();
        await using var loop = new Loop(api, new DelegateHandler((_, _, _) => Task.FromResult("{}"u8.ToArray())), output);

        var first = await api.InvokeAsync("{}"u8.ToArray(), timeLeft: TimeSpan.MaxValue);
        var second = await api.InvokeAsync("{}"u8.ToArray());

        Assert.Equal(("response", "response"), (first.Kind, second.Kind));
    }

    [Fact]
    public async Task A_handler_exception_is_posted_as_an_error_and_the_loop_keeps_serving()
    {
        await using var api = FakeRuntimeApi.Start();
        using var output = new StringWriter();
        var calls = 0;
        await using var loop = new Loop(api, new DelegateHandler((_, _, _) =>
            Interlocked.Increment(ref calls) == 1 ? throw new InvalidOperationException("boom") : Task.FromResult("{}"u8.ToArray())), output);

        var failed = await api.InvokeAsync("{}"u8.ToArray());
        var next = await api.InvokeAsync("{}"u8.ToArray());

        Assert.Equal("error", failed.Kind);
        Assert.Equal("InvalidOperationException", failed.ErrorType);
        using (var error = JsonDocument.Parse(failed.Body))
        {
            Assert.Equal("boom", error.RootElement.GetProperty("errorMessage").GetString());
            Assert.Equal("InvalidOperationException", error.RootElement.GetProperty("errorType").GetString());
            Assert.Equal(JsonValueKind.Array, error.RootElement.GetProperty("stackTrace").ValueKind);
        }
        Assert.Equal("response", next.Kind);
    }

    [Fact]
    public async Task The_trace_id_and_request_id_reach_the_logs_and_cold_start_is_only_the_first()
    {
        await using var api = FakeRuntimeApi.Start();
        using var output = new StringWriter();
        Loop? loop = null;
        loop = new Loop(api, new DelegateHandler((_, context, _) =>
        {
            loop!.Log.Info("inside", new LogField("request", context.RequestId));
            return Task.FromResult("{}"u8.ToArray());
        }), output);
        await using (loop)
        {
            await api.InvokeAsync("{}"u8.ToArray(), traceId: "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1");
            await api.InvokeAsync("{}"u8.ToArray(), traceId: "Root=1-abc");
        }

        var lines = output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(l => JsonDocument.Parse(l).RootElement).Where(l => l.TryGetProperty("message", out _)).ToList();
        Assert.Equal(2, lines.Count);
        Assert.Equal("Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1", lines[0].GetProperty("xray_trace_id").GetString());
        Assert.Equal(lines[0].GetProperty("request").GetString(), lines[0].GetProperty("function_request_id").GetString());
        Assert.Equal((true, false), (lines[0].GetProperty("cold_start").GetBoolean(), lines[1].GetProperty("cold_start").GetBoolean()));
        Assert.Equal("Root=1-abc", lines[1].GetProperty("xray_trace_id").GetString());
    }

    [Fact]
    public async Task Each_invocation_publishes_its_trace_id_for_the_AWS_SDK_and_one_without_clears_it()
    {
        await using var api = FakeRuntimeApi.Start();
        using var output = new StringWriter();
        var environment = new RecordingInvocationEnvironment();
        var seen = new List<string?>();
        await using (new Loop(api, new DelegateHandler((_, _, _) =>
        {
            seen.Add(environment.TraceId);
            return Task.FromResult("{}"u8.ToArray());
        }), output, environment: environment))
        {
            await api.InvokeAsync("{}"u8.ToArray(), traceId: "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1");
            await api.InvokeAsync("{}"u8.ToArray());
            await api.InvokeAsync("{}"u8.ToArray(), traceId: "Root=1-abc");
        }

        Assert.Equal(["Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1", null, "Root=1-abc"], seen);
    }

    [Fact]
    public async Task The_errors_posted_to_the_Runtime_API_are_redacted_like_the_logs()
    {
        await using var api = FakeRuntimeApi.Start();
        using var output = new StringWriter();
        const string secrets = "cannot open Host=db;Username=sync;Password=hunter2 for ann.smith@example.com";
        var refused = new Npgsql.PostgresException("invalid input syntax for type integer: \"4111-1111\"", "ERROR", "ERROR", "22P02", columnName: "stock");
        var calls = 0;
        await using (new Loop(api, new DelegateHandler((_, _, _) =>
            Interlocked.Increment(ref calls) == 1 ? throw new InvalidOperationException(secrets) : throw refused), output))
        {
            var first = await api.InvokeAsync("{}"u8.ToArray());
            var second = await api.InvokeAsync("{}"u8.ToArray());

            Assert.Equal(("error", "error"), (first.Kind, second.Kind));
            Assert.DoesNotContain("hunter2", first.Body, StringComparison.Ordinal);
            Assert.DoesNotContain("ann.smith", first.Body, StringComparison.Ordinal);
            Assert.Contains("Password=***", first.Body, StringComparison.Ordinal);
            Assert.DoesNotContain("4111", second.Body, StringComparison.Ordinal);
            Assert.Contains("22P02: data exception (column stock", second.Body, StringComparison.Ordinal);
        }

        using var client = new RuntimeApiClient(api.HostAndPort);
        await client.ReportInitErrorAsync(new InvalidOperationException(secrets), CancellationToken.None);
        var init = await api.InitError.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.DoesNotContain("hunter2", init.Body, StringComparison.Ordinal);
        Assert.DoesNotContain("ann.smith", init.Body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Near_the_deadline_stream_sync_stops_and_reports_its_records_as_failures()
    {
        await using var db = await SyncDatabase.CreateAsync(fixture);
        await db.HandleAsync(Insert(Books, "1", Book("book-1")));
        // Another transaction holds the row, so the batch cannot finish before its deadline.
        await using var other = await db.Services.DataSource.OpenConnectionAsync();
        await using var transaction = await other.BeginTransactionAsync();
        await using (var lockRow = new Npgsql.NpgsqlCommand("SELECT 1 FROM cloudshelf.books WHERE book_id = 'book-1' FOR UPDATE", other, transaction))
            await lockRow.ExecuteScalarAsync();
        await using var api = FakeRuntimeApi.Start();
        using var output = new StringWriter();
        await using var loop = new Loop(api, FunctionCatalog.Create("stream-sync", db.Services), output, margin: TimeSpan.FromMilliseconds(1500));
        var batch = JsonSerializer.SerializeToUtf8Bytes(Event(Modify(Books, "7", Book("book-1", price: "9.00")), Insert(Books, "8", Book("book-2"))),
            StreamJsonContext.Default.DynamoDBEvent);

        // The row stays locked until the answer is in: without the deadline the batch would wait forever,
        // so an answer at all shows that it stopped for its deadline (no wall-clock assertion needed).
        var outcome = await api.InvokeAsync(batch, timeLeft: TimeSpan.FromMilliseconds(2500));

        Assert.Equal("response", outcome.Kind);
        var response = StreamEventSerializer.ReadResponse(Encoding.UTF8.GetBytes(outcome.Body));
        Assert.Equal(["7", "8"], response.BatchItemFailures.Select(f => f.ItemIdentifier));
        await transaction.RollbackAsync();
        Assert.Equal("24.99", await db.ScalarAsync<string>("SELECT price::text FROM cloudshelf.books WHERE book_id = 'book-1'"));
    }

    [Fact]
    public void An_unknown_handler_is_a_runtime_error_naming_the_known_ones()
    {
        var error = Assert.Throws<RuntimeErrorException>(() => FunctionCatalog.Create("stream-sink", null));

        Assert.Equal("Runtime.UnknownHandler", error.ErrorType);
        Assert.Contains("stream-sync, drift-detector, sync-lag, backfill", error.Message, StringComparison.Ordinal);
    }
}
