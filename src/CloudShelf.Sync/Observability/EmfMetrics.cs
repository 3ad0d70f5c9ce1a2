using System.Buffers;
using System.Text;
using System.Text.Json;

namespace CloudShelf.Sync.Observability;

/// <summary>
/// Writes metrics as CloudWatch Embedded Metric Format documents, one per line, which CloudWatch Logs turns into
/// metrics without an API call from the function.
/// </summary>
/// <remarks>
/// Service-wide metrics get the dimension set [Service]; metrics with a table get [Service, Table], one document per
/// table (an empty table name counts as none). A document holds at most 100 metrics, the EMF limit; more are split
/// over several documents. EMF also caps a value array at 100 entries: when a Milliseconds or Seconds metric already
/// holds 100 values, everything buffered is flushed before the next value is added, so every sample reaches
/// CloudWatch for percentiles instead of being averaged away. A name keeps the unit it was first added with until the
/// next flush. Non-finite values are dropped.
/// </remarks>
public sealed class EmfMetrics : IMetrics
{
    private const int MaxMetricsPerDocument = 100;
    private const int MaxValuesPerMetric = 100;
    private const string ServiceKey = "Service";
    private const string TableKey = "Table";

    private readonly TextWriter _output;
    private readonly string _service;
    private readonly TimeProvider _time;
    private readonly string _namespace;
    private readonly Lock _gate = new();
    private readonly Dictionary<(string? Table, string Name), Metric> _metrics = [];

    /// <summary>Creates a metrics buffer writing to <paramref name="output"/>, usually <see cref="Console.Out"/>.</summary>
    /// <param name="output">Where EMF lines go.</param>
    /// <param name="service">Value of the <c>Service</c> dimension.</param>
    /// <param name="time">Clock for the EMF <c>Timestamp</c>.</param>
    /// <param name="namespace">CloudWatch namespace of every metric.</param>
    public EmfMetrics(TextWriter output, string service, TimeProvider time, string @namespace = MetricNames.Namespace)
    {
        ArgumentNullException.ThrowIfNull(output);
        ArgumentException.ThrowIfNullOrEmpty(service);
        ArgumentNullException.ThrowIfNull(time);
        ArgumentException.ThrowIfNullOrEmpty(@namespace);
        _output = output;
        _service = service;
        _time = time;
        _namespace = @namespace;
    }

    /// <inheritdoc />
    public void Add(string name, double value, MetricUnit unit, string? table = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        if (name is ServiceKey or TableKey or "_aws")
        {
            throw new ArgumentException($"'{name}' is taken by the EMF document itself.", nameof(name));
        }

        // JSON cannot carry NaN or infinities, and a metric must never fail the batch it describes.
        if (!double.IsFinite(value))
        {
            return;
        }

        var key = (string.IsNullOrEmpty(table) ? null : table, name);
        lock (_gate)
        {
            if (_metrics.TryGetValue(key, out var metric) && metric.Values.Count == MaxValuesPerMetric)
            {
                FlushLocked();
                metric = null;
            }

            if (metric is null)
            {
                metric = new Metric(unit);
                _metrics.Add(key, metric);
            }

            metric.Record(value);
        }
    }

    /// <inheritdoc />
    public void Flush()
    {
        lock (_gate)
        {
            FlushLocked();
        }
    }

    private void FlushLocked()
    {
        if (_metrics.Count == 0)
        {
            return;
        }

        // Cleared before writing so a failing writer cannot make the next flush emit the same values twice.
        var metrics = _metrics.ToArray();
        _metrics.Clear();
        var timestamp = _time.GetUtcNow().ToUnixTimeMilliseconds();
        foreach (var table in metrics.GroupBy(m => m.Key.Table))
        {
            foreach (var chunk in table.Chunk(MaxMetricsPerDocument))
            {
                _output.WriteLine(Document(timestamp, table.Key, chunk));
            }
        }
    }

    private string Document(long timestamp, string? table, KeyValuePair<(string? Table, string Name), Metric>[] metrics)
    {
        var buffer = new ArrayBufferWriter<byte>(1024);
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteStartObject("_aws");
            json.WriteNumber("Timestamp", timestamp);
            json.WriteStartArray("CloudWatchMetrics");
            json.WriteStartObject();
            json.WriteString("Namespace", _namespace);
            json.WriteStartArray("Dimensions");
            json.WriteStartArray();
            json.WriteStringValue(ServiceKey);
            if (table is not null)
            {
                json.WriteStringValue(TableKey);
            }

            json.WriteEndArray();
            json.WriteEndArray();
            json.WriteStartArray("Metrics");
            foreach (var (key, metric) in metrics)
            {
                json.WriteStartObject();
                json.WriteString("Name", key.Name);
                json.WriteString("Unit", UnitName(metric.Unit));
                json.WriteEndObject();
            }

            json.WriteEndArray();
            json.WriteEndObject();
            json.WriteEndArray();
            json.WriteEndObject();

            json.WriteString(ServiceKey, _service);
            if (table is not null)
            {
                json.WriteString(TableKey, table);
            }

            foreach (var (key, metric) in metrics)
            {
                json.WritePropertyName(key.Name);
                if (metric.Values.Count == 1)
                {
                    json.WriteNumberValue(metric.Values[0]);
                }
                else
                {
                    json.WriteStartArray();
                    foreach (var value in metric.Values)
                    {
                        json.WriteNumberValue(value);
                    }

                    json.WriteEndArray();
                }
            }

            json.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    private static string UnitName(MetricUnit unit) => unit switch
    {
        MetricUnit.Milliseconds => "Milliseconds",
        MetricUnit.Seconds => "Seconds",
        _ => "Count",
    };

    private sealed class Metric(MetricUnit unit)
    {
        public MetricUnit Unit { get; } = unit;

        public List<double> Values { get; } = [];

        public void Record(double value)
        {
            if (Unit == MetricUnit.Count && Values.Count == 1)
            {
                Values[0] += value;
            }
            else
            {
                Values.Add(value);
            }
        }
    }
}
