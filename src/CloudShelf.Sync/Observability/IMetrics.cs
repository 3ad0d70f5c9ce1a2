namespace CloudShelf.Sync.Observability;

/// <summary>Units the sync emits, spelled as CloudWatch expects them.</summary>
public enum MetricUnit
{
    /// <summary>A number of things; values within one flush are summed.</summary>
    Count,

    /// <summary>A duration in milliseconds; every value within one flush is kept.</summary>
    Milliseconds,

    /// <summary>A duration in seconds; every value within one flush is kept.</summary>
    Seconds,
}

/// <summary>Buffers metric values and writes them out in batches. Implementations must be thread-safe.</summary>
public interface IMetrics
{
    /// <summary>
    /// Adds to a metric; the same name and table within one flush are summed (counts) — for Milliseconds/Seconds
    /// every value is kept.
    /// </summary>
    /// <param name="name">Metric name, usually one of <see cref="MetricNames"/>.</param>
    /// <param name="value">The value to add.</param>
    /// <param name="unit">Unit of the value.</param>
    /// <param name="table">The table the value belongs to, or <see langword="null"/> for a service-wide metric.</param>
    void Add(string name, double value, MetricUnit unit, string? table = null);

    /// <summary>
    /// Writes one EMF JSON document per dimension set ([Service] and [Service, Table]) as single lines to the output,
    /// then clears.
    /// </summary>
    void Flush();
}
