namespace CloudShelf.Sync.Cutover;

/// <summary>How one cut-over check runs.</summary>
public sealed record CutoverOptions
{
    /// <summary>Writes are frozen: wait until the stream audit shows no unapplied change, and require exact counts.</summary>
    public bool Final { get; init; }

    /// <summary>How long <see cref="Final"/> waits for the audit to drain before it answers NO-GO.</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>Pause between two stream audits while waiting.</summary>
    public TimeSpan PollInterval { get; init; } = TimeSpan.FromSeconds(2);
}
