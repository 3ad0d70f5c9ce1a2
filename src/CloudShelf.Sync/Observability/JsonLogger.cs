using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace CloudShelf.Sync.Observability;

/// <summary>
/// Writes one JSON object per line with the keys AWS Lambda Powertools uses (<c>timestamp</c>, <c>level</c>,
/// <c>message</c>, <c>service</c>, <c>cold_start</c>, <c>function_name</c>, <c>function_request_id</c>,
/// <c>xray_trace_id</c>), then one key per field, so Logs Insights queries written for Powertools work unchanged.
/// </summary>
/// <remarks>
/// Field values keep their JSON type: strings, booleans, integers and floating-point numbers (NaN and infinities as
/// strings), dates as ISO-8601 strings, <see cref="IEnumerable{T}"/> of strings as arrays; anything else is written
/// as its invariant-culture string. A field named like a reserved key is written as <c>field_</c> + its name.
/// E-mail addresses and passwords are masked in every string, PostgreSQL data errors are given without
/// the values they quote (<see cref="ExceptionText"/>), and fields whose name mentions a
/// password, secret, token or connection are written as <c>"***"</c>.
/// </remarks>
public sealed class JsonLogger : ILog
{
    // Relaxed escaping keeps '+', '&' and non-ASCII text readable in CloudWatch; the output never lands in HTML.
    private static readonly JsonWriterOptions WriterOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private readonly TextWriter _output;
    private readonly LogContext _context;
    private readonly TimeProvider _time;
    private readonly LogLevel _minimumLevel;

    // StringWriter and most TextWriters are not thread-safe; one WriteLine per entry under this lock keeps lines whole.
    private readonly Lock _gate = new();

    /// <summary>Creates a logger writing to <paramref name="output"/>, usually <see cref="Console.Out"/>.</summary>
    /// <param name="output">Where lines go.</param>
    /// <param name="context">Execution-environment and invocation context, read on every write.</param>
    /// <param name="time">Clock for the <c>timestamp</c> key.</param>
    /// <param name="minimumLevel">Entries below this level are dropped.</param>
    public JsonLogger(TextWriter output, LogContext context, TimeProvider time, LogLevel minimumLevel = LogLevel.Information)
    {
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(time);
        _output = output;
        _context = context;
        _time = time;
        _minimumLevel = minimumLevel;
    }

    /// <summary>Parses a level name as set in configuration, e.g. <c>LOG_LEVEL</c>.</summary>
    /// <param name="value">DEBUG, INFO, INFORMATION, WARN, WARNING or ERROR (also TRACE and FATAL) in any case.</param>
    /// <param name="fallback">Returned when <paramref name="value"/> is missing or not recognised.</param>
    /// <returns>The parsed level or <paramref name="fallback"/>.</returns>
    public static LogLevel ParseLevel(string? value, LogLevel fallback) =>
        value?.Trim().ToUpperInvariant() switch
        {
            // TRACE and FATAL are the extra names Lambda's advanced logging controls put in AWS_LAMBDA_LOG_LEVEL.
            "TRACE" or "DEBUG" => LogLevel.Debug,
            "INFO" or "INFORMATION" => LogLevel.Information,
            "WARN" or "WARNING" => LogLevel.Warning,
            "ERROR" or "FATAL" => LogLevel.Error,
            _ => fallback,
        };

    /// <inheritdoc />
    public bool IsEnabled(LogLevel level) => level >= _minimumLevel;

    /// <inheritdoc />
    public void Write(LogLevel level, string message, Exception? exception, params ReadOnlySpan<LogField> fields)
    {
        if (!IsEnabled(level))
        {
            return;
        }

        var buffer = new ArrayBufferWriter<byte>(512);
        using (var json = new Utf8JsonWriter(buffer, WriterOptions))
        {
            json.WriteStartObject();
            json.WriteString("timestamp", _time.GetUtcNow().UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture));
            json.WriteString("level", LevelName(level));
            json.WriteString("message", Redaction.Mask(message));
            json.WriteString("service", _context.Service);
            json.WriteBoolean("cold_start", _context.ColdStart);
            WriteIfPresent(json, "function_name", _context.FunctionName);
            WriteIfPresent(json, "function_request_id", _context.RequestId);
            WriteIfPresent(json, "xray_trace_id", _context.TraceId);

            foreach (var field in fields)
            {
                json.WritePropertyName(IsReserved(field.Name) ? "field_" + field.Name : field.Name);
                if (Redaction.IsSensitiveName(field.Name))
                {
                    json.WriteStringValue(Redaction.Masked);
                }
                else
                {
                    WriteValue(json, field.Value);
                }
            }

            if (exception is not null)
            {
                var type = exception.GetType().FullName ?? exception.GetType().Name;
                json.WriteString("exception", type + ": " + ExceptionText.Message(exception));
                json.WriteString("exception_type", type);
                if (exception.StackTrace is not null || exception.InnerException is not null)
                {
                    // Inner exceptions too, which is where Npgsql puts the server's reason.
                    json.WriteString("exception_stack", ExceptionText.Render(exception));
                }
            }

            json.WriteEndObject();
        }

        var line = Encoding.UTF8.GetString(buffer.WrittenSpan);
        lock (_gate)
        {
            _output.WriteLine(line);
        }
    }

    private static string LevelName(LogLevel level) => level switch
    {
        LogLevel.Debug => "DEBUG",
        LogLevel.Information => "INFO",
        LogLevel.Warning => "WARN",
        _ => "ERROR",
    };

    private static bool IsReserved(string name) => name is "timestamp" or "level" or "message" or "service" or "cold_start"
        or "function_name" or "function_request_id" or "xray_trace_id" or "exception" or "exception_type" or "exception_stack";

    private static void WriteIfPresent(Utf8JsonWriter json, string name, string? value)
    {
        if (value is not null)
        {
            json.WriteString(name, value);
        }
    }

    private static void WriteValue(Utf8JsonWriter json, object? value)
    {
        switch (value)
        {
            case null: json.WriteNullValue(); break;
            case string text: json.WriteStringValue(Redaction.Mask(text)); break;
            case bool flag: json.WriteBooleanValue(flag); break;
            case int number: json.WriteNumberValue(number); break;
            case long number: json.WriteNumberValue(number); break;
            case uint number: json.WriteNumberValue(number); break;
            case ulong number: json.WriteNumberValue(number); break;
            case short number: json.WriteNumberValue(number); break;
            case ushort number: json.WriteNumberValue(number); break;
            case byte number: json.WriteNumberValue(number); break;
            case sbyte number: json.WriteNumberValue(number); break;
            case decimal number: json.WriteNumberValue(number); break;
            case double number when double.IsFinite(number): json.WriteNumberValue(number); break;
            case float number when float.IsFinite(number): json.WriteNumberValue(number); break;
            case DateTimeOffset moment: json.WriteStringValue(moment); break;
            case DateTime moment: json.WriteStringValue(moment); break;
            case IEnumerable<string?> texts:
                json.WriteStartArray();
                foreach (var text in texts)
                {
                    if (text is null)
                    {
                        json.WriteNullValue();
                    }
                    else
                    {
                        json.WriteStringValue(Redaction.Mask(text));
                    }
                }

                json.WriteEndArray();
                break;
            default:
                // JSON has no NaN or Infinity, so non-finite numbers arrive here and become "NaN"/"Infinity" strings.
                json.WriteStringValue(Redaction.Mask(Convert.ToString(value, CultureInfo.InvariantCulture) ?? string.Empty));
                break;
        }
    }
}
