namespace CloudShelf.Sync.Demo;

/// <summary>What the CLI reported for one synced table.</summary>
internal sealed class TableTally
{
    public long BackfillScanned { get; set; }

    public long BackfillWritten { get; set; }

    public long StreamRecordsRead { get; set; }

    /// <summary>RecordsApplied of stream-sync's EMF metrics (applied, or superseded by a newer change already there).</summary>
    public long StreamRecordsApplied { get; set; }

    public long StreamRecordsQuarantined { get; set; }
}
