namespace CloudShelf.Sync.Benchmarks;

/// <summary>One contender's pass of the end-to-end benchmark: a run of writes and the arrival of every one of them.</summary>
/// <param name="Records">Items written (one PutItem each, new keys).</param>
/// <param name="WriteSeconds">From the first PutItem sent to the last acknowledged.</param>
/// <param name="TotalSeconds">From the first PutItem sent to the last record's arrival.</param>
/// <param name="LatencyMilliseconds">Per record, from sending its PutItem to its arrival.</param>
internal sealed record EndToEndPass(int Records, double WriteSeconds, double TotalSeconds, IReadOnlyList<double> LatencyMilliseconds)
{
    /// <summary>Records that arrived per second of the pass.</summary>
    public double Throughput => Records / TotalSeconds;

    public Samples Latency()
    {
        var samples = new Samples();
        foreach (var value in LatencyMilliseconds) samples.Add(value);
        return samples;
    }
}
