namespace CloudShelf.Sync.Benchmarks;

/// <summary>Measured values of one quantity, one per round, with order statistics.</summary>
internal sealed class Samples
{
    private readonly List<double> _values = [];

    public int Count => _values.Count;

    public IReadOnlyList<double> Values => _values;

    public void Add(double value) => _values.Add(value);

    public double Median => Quantile(0.5);

    public double P25 => Quantile(0.25);

    public double P75 => Quantile(0.75);

    /// <summary>Linear interpolation between the closest ranks.</summary>
    public double Quantile(double q)
    {
        if (_values.Count == 0) throw new InvalidOperationException("No samples.");
        var sorted = _values.Order().ToArray();
        var position = q * (sorted.Length - 1);
        var lower = (int)Math.Floor(position);
        var upper = (int)Math.Ceiling(position);
        return sorted[lower] + (sorted[upper] - sorted[lower]) * (position - lower);
    }
}
