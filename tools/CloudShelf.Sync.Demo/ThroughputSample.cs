namespace CloudShelf.Sync.Demo;

/// <summary>Records stream-sync applied in one EMF document (one batch and table) of the bootstrap.</summary>
internal sealed record ThroughputSample(DateTimeOffset At, string Table, long Applied);
