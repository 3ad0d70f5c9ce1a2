namespace CloudShelf.Sync.Drift;

/// <summary>How a drift run compares.</summary>
public sealed record DriftOptions
{
    /// <summary>PostgreSQL or DynamoDB table names to compare; null or empty for every synced table.</summary>
    public IReadOnlyList<string>? Tables { get; init; }

    /// <summary>Null for full mode; else the fraction (0, 1] of segments (and of rows, for extras) compared by this run.</summary>
    public double? SampleFraction { get; init; }

    /// <summary>Re-apply DynamoDB's current state to what differs.</summary>
    public bool Repair { get; init; }

    /// <summary>Scan segments of a new pass (an open pass keeps its own number).</summary>
    public int Segments { get; init; } = 8;

    /// <summary>Segments compared at once per table.</summary>
    public int Parallelism { get; init; } = 4;

    /// <summary>Items per Scan page; also rows per extras page.</summary>
    public int PageSize { get; init; } = 500;

    /// <summary>Read capacity per second for all of this run's DynamoDB reads; null for no limit.</summary>
    public double? ReadUnitsPerSecond { get; init; }

    /// <summary>No new page is started after this much time (at least one page per segment is done); null for none.</summary>
    public TimeSpan? TimeBudget { get; init; }

    /// <summary>How long to wait before re-reading both sides of a difference.</summary>
    public TimeSpan RecheckDelay { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>Checks the options.</summary>
    /// <exception cref="ArgumentException">An option is out of range; the message names it.</exception>
    public void Validate()
    {
        if (SampleFraction is { } f && !(f > 0 && f <= 1))
            throw new ArgumentException($"The sample fraction must be in (0, 1], got {f}.");
        if (Segments is < 1 or > 1_000_000) throw new ArgumentException($"Segments must be 1 to 1000000, got {Segments}.");
        if (Parallelism < 1) throw new ArgumentException($"Parallelism must be at least 1, got {Parallelism}.");
        if (PageSize is < 1 or > 10_000) throw new ArgumentException($"The page size must be 1 to 10000, got {PageSize}.");
        if (ReadUnitsPerSecond is { } r && !(r > 0)) throw new ArgumentException($"The read rate must be positive, got {r}.");
        if (TimeBudget is { } b && b <= TimeSpan.Zero) throw new ArgumentException($"The time budget must be positive, got {b}.");
        if (RecheckDelay < TimeSpan.Zero) throw new ArgumentException("The recheck delay cannot be negative.");
    }
}
