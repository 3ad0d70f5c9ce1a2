namespace CloudShelf.Sync.Cli.LocalMapping;

/// <summary>Counters of one stream in a run of the local mapping.</summary>
internal sealed class StreamCounters(string table, string streamArn)
{
    private long _recordsRead, _recordsDelivered, _invocations, _functionErrors, _partialFailures, _bisections,
        _batchesToOnFailure, _recordsToOnFailure, _gaps, _shardsFinished;

    public string Table { get; } = table;
    public string StreamArn { get; } = streamArn;
    public long RecordsRead => Interlocked.Read(ref _recordsRead);
    /// <summary>Records handled by a successful invocation (each once, however often retried).</summary>
    public long RecordsDelivered => Interlocked.Read(ref _recordsDelivered);
    public long Invocations => Interlocked.Read(ref _invocations);
    public long FunctionErrors => Interlocked.Read(ref _functionErrors);
    public long PartialFailures => Interlocked.Read(ref _partialFailures);
    public long Bisections => Interlocked.Read(ref _bisections);
    public long BatchesToOnFailure => Interlocked.Read(ref _batchesToOnFailure);
    public long RecordsToOnFailure => Interlocked.Read(ref _recordsToOnFailure);
    public long Gaps => Interlocked.Read(ref _gaps);
    public long ShardsFinished => Interlocked.Read(ref _shardsFinished);

    public void Read(int records) => Interlocked.Add(ref _recordsRead, records);
    public void Delivered(int records) => Interlocked.Add(ref _recordsDelivered, records);
    public void Invoked() => Interlocked.Increment(ref _invocations);
    public void FunctionError() => Interlocked.Increment(ref _functionErrors);
    public void PartialFailure() => Interlocked.Increment(ref _partialFailures);
    public void Bisected() => Interlocked.Increment(ref _bisections);
    public void Gap() => Interlocked.Increment(ref _gaps);
    public void ShardFinished() => Interlocked.Increment(ref _shardsFinished);

    public void ToOnFailure(int records)
    {
        Interlocked.Increment(ref _batchesToOnFailure);
        Interlocked.Add(ref _recordsToOnFailure, records);
    }
}
