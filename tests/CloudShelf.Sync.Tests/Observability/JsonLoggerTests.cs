using System.Globalization;
using System.Text.Json;
using CloudShelf.Sync.Observability;

namespace CloudShelf.Sync.Tests.Observability;

public sealed class JsonLoggerTests : IDisposable
{
    private static readonly DateTimeOffset Now = new(2025, 3, 4, 5, 6, 7, 890, TimeSpan.Zero);

    private readonly StringWriter _output = new(CultureInfo.InvariantCulture);
    private readonly LogContext _context = new() { FunctionName = "stream-sync" };

    public void Dispose() => _output.Dispose();

    [Fact]
    public void Every_reserved_key_is_written()
    {
        _context.RequestId = "req-1";
        _context.TraceId = "1-abc-def";

        Logger().Info("batch applied");

        var line = SingleLine();
        Assert.Equal("2025-03-04T05:06:07.890Z", line.GetProperty("timestamp").GetString());
        Assert.Equal("INFO", line.GetProperty("level").GetString());
        Assert.Equal("batch applied", line.GetProperty("message").GetString());
        Assert.Equal("cloudshelf-sync", line.GetProperty("service").GetString());
        Assert.True(line.GetProperty("cold_start").GetBoolean());
        Assert.Equal("stream-sync", line.GetProperty("function_name").GetString());
        Assert.Equal("req-1", line.GetProperty("function_request_id").GetString());
        Assert.Equal("1-abc-def", line.GetProperty("xray_trace_id").GetString());
    }

    [Fact]
    public void Context_keys_that_are_not_known_are_left_out()
    {
        var logger = new JsonLogger(_output, new LogContext(), new FixedTimeProvider(Now));

        logger.Info("starting");

        var line = SingleLine();
        Assert.False(line.TryGetProperty("function_name", out _));
        Assert.False(line.TryGetProperty("function_request_id", out _));
        Assert.False(line.TryGetProperty("xray_trace_id", out _));
    }

    [Fact]
    public void Cold_start_is_reported_until_the_host_clears_it()
    {
        var logger = Logger();

        logger.Info("first");
        _context.ColdStart = false;
        logger.Info("second");

        var lines = Lines();
        Assert.True(lines[0].GetProperty("cold_start").GetBoolean());
        Assert.False(lines[1].GetProperty("cold_start").GetBoolean());
    }

    [Fact]
    public void Entries_below_the_minimum_level_are_not_written()
    {
        var logger = Logger(LogLevel.Warning);

        logger.Debug("d");
        logger.Info("i");
        logger.Warn("w");
        logger.Error("e");

        Assert.Equal(["WARN", "ERROR"], Lines().Select(l => l.GetProperty("level").GetString()));
        Assert.False(logger.IsEnabled(LogLevel.Information));
        Assert.True(logger.IsEnabled(LogLevel.Warning));
    }

    [Fact]
    public void Debug_entries_are_written_when_the_minimum_is_debug()
    {
        Logger(LogLevel.Debug).Debug("details");

        Assert.Equal("DEBUG", SingleLine().GetProperty("level").GetString());
    }

    [Theory]
    [InlineData("debug", LogLevel.Debug)]
    [InlineData("INFO", LogLevel.Information)]
    [InlineData("Information", LogLevel.Information)]
    [InlineData("warn", LogLevel.Warning)]
    [InlineData("WARNING", LogLevel.Warning)]
    [InlineData("Error", LogLevel.Error)]
    [InlineData("TRACE", LogLevel.Debug)]
    [InlineData("fatal", LogLevel.Error)]
    [InlineData("verbose", LogLevel.Information)]
    [InlineData(null, LogLevel.Information)]
    public void Level_names_parse_in_any_case_and_unknown_ones_fall_back(string? value, LogLevel expected)
    {
        Assert.Equal(expected, JsonLogger.ParseLevel(value, LogLevel.Information));
    }

    [Fact]
    public void Fields_keep_their_json_types()
    {
        Logger().Info(
            "typed",
            new LogField("table", "books"),
            new LogField("count", 3),
            new LogField("sequence", 12345678901234L),
            new LogField("small", (byte)7),
            new LogField("applied", true),
            new LogField("ratio", 0.25),
            new LogField("price", 9.99m),
            new LogField("lag", double.NaN),
            new LogField("at", new DateTimeOffset(2025, 1, 2, 3, 4, 5, TimeSpan.Zero)),
            new LogField("missing", null),
            new LogField("keys", new[] { "a", "b" }),
            new LogField("id", new Guid("00000000-0000-0000-0000-000000000001")));

        var line = SingleLine();
        Assert.Equal("books", line.GetProperty("table").GetString());
        Assert.Equal(3, line.GetProperty("count").GetInt32());
        Assert.Equal(12345678901234L, line.GetProperty("sequence").GetInt64());
        Assert.Equal(7, line.GetProperty("small").GetInt32());
        Assert.True(line.GetProperty("applied").GetBoolean());
        Assert.Equal(0.25, line.GetProperty("ratio").GetDouble());
        Assert.Equal(9.99m, line.GetProperty("price").GetDecimal());
        Assert.Equal("NaN", line.GetProperty("lag").GetString());
        Assert.Equal("2025-01-02T03:04:05+00:00", line.GetProperty("at").GetString());
        Assert.Equal(JsonValueKind.Null, line.GetProperty("missing").ValueKind);
        Assert.Equal(["a", "b"], line.GetProperty("keys").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal("00000000-0000-0000-0000-000000000001", line.GetProperty("id").GetString());
    }

    [Fact]
    public void Fields_named_like_reserved_keys_are_prefixed()
    {
        Logger().Info("real", new LogField("message", "fake"), new LogField("level", "fake"));

        var line = SingleLine();
        Assert.Equal("real", line.GetProperty("message").GetString());
        Assert.Equal("INFO", line.GetProperty("level").GetString());
        Assert.Equal("fake", line.GetProperty("field_message").GetString());
        Assert.Equal("fake", line.GetProperty("field_level").GetString());
    }

    [Fact]
    public void Email_addresses_are_masked_in_the_message()
    {
        Logger().Info("order for bob.smith@example.com failed");

        Assert.Equal("order for b***@example.com failed", SingleLine().GetProperty("message").GetString());
    }

    [Fact]
    public void Email_addresses_with_non_ascii_local_parts_are_masked()
    {
        // Regression: the local part had to be ASCII, so josé@example.com was logged in full.
        Logger().Info("login josé@example.com and zoë.o@example.org");

        Assert.Equal("login j***@example.com and z***@example.org", SingleLine().GetProperty("message").GetString());
    }

    [Fact]
    public void Email_addresses_are_masked_in_fields()
    {
        Logger().Info("item", new LogField("email", "alice@shop.example.org"), new LogField("recipients", new[] { "carol@example.com" }));

        var line = SingleLine();
        Assert.Equal("a***@shop.example.org", line.GetProperty("email").GetString());
        Assert.Equal("c***@example.com", line.GetProperty("recipients")[0].GetString());
    }

    [Fact]
    public void Email_addresses_are_masked_in_exceptions()
    {
        var exception = new InvalidOperationException("duplicate key for dave@example.com");

        Logger().Error(exception, "quarantined");

        var line = SingleLine();
        Assert.Equal("System.InvalidOperationException: duplicate key for d***@example.com", line.GetProperty("exception").GetString());
        Assert.Equal("System.InvalidOperationException", line.GetProperty("exception_type").GetString());
    }

    [Fact]
    public void Thrown_exceptions_carry_their_stack_masked_too()
    {
        Exception caught;
        try
        {
            throw new InvalidOperationException("outer", new FormatException("bad value from erin@example.com"));
        }
        catch (InvalidOperationException exception)
        {
            caught = exception;
        }

        Logger().Error(caught, "failed");

        var stack = SingleLine().GetProperty("exception_stack").GetString();
        Assert.Contains("System.FormatException: bad value from e***@example.com", stack, StringComparison.Ordinal);
        Assert.DoesNotContain("erin@", stack, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("password")]
    [InlineData("DbPassword")]
    [InlineData("client_secret")]
    [InlineData("accessToken")]
    [InlineData("ConnectionString")]
    public void Fields_named_like_secrets_are_masked(string name)
    {
        Logger().Info("config", new LogField(name, "hunter2"));

        Assert.Equal("***", SingleLine().GetProperty(name).GetString());
    }

    [Fact]
    public void Passwords_in_connection_strings_are_masked_wherever_they_appear()
    {
        Logger().Warn("cannot open Host=db;Username=sync;Password=p@ss.word;Database=shelf", new LogField("detail", "password = s3cret"));

        var line = SingleLine();
        Assert.Equal("cannot open Host=db;Username=sync;Password=***;Database=shelf", line.GetProperty("message").GetString());
        Assert.Equal("password = ***", line.GetProperty("detail").GetString());
    }

    [Fact]
    public void Concurrent_writes_produce_only_whole_lines()
    {
        using var output = new CallRecordingWriter();
        var logger = new JsonLogger(output, _context, new FixedTimeProvider(Now));

        // Dedicated threads, because the thread pool may hand a parallel loop to one thread on a small runner.
        var writers = Enumerable.Range(0, 4)
            .Select(writer => new Thread(() =>
            {
                for (var i = 0; i < 10; i++)
                {
                    logger.Info("parallel", new LogField("i", (writer * 10) + i));
                }
            }))
            .ToList();
        writers.ForEach(thread => thread.Start());
        writers.ForEach(thread => thread.Join());

        Assert.Equal(0, output.Overlaps);
        var indexes = output.Lines.Select(line => EmittedLines.ParseLine(line).GetProperty("i").GetInt32());
        Assert.Equal(Enumerable.Range(0, 40), indexes.Order());
    }

    [Fact]
    public void The_null_log_writes_nothing_and_enables_nothing()
    {
        NullLog.Instance.Error(new InvalidOperationException(), "ignored");

        Assert.False(NullLog.Instance.IsEnabled(LogLevel.Error));
    }

    private JsonLogger Logger(LogLevel minimumLevel = LogLevel.Information) =>
        new(_output, _context, new FixedTimeProvider(Now), minimumLevel);

    private List<JsonElement> Lines() => EmittedLines.Parse(_output);

    private JsonElement SingleLine() => Assert.Single(Lines());
}
