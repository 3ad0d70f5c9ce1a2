namespace CloudShelf.Sync.Demo;

/// <summary>A moment the charts mark (writes frozen, defects fixed, the final check).</summary>
internal sealed record DemoEvent(DateTimeOffset At, string Label);
