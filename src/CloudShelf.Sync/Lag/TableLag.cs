namespace CloudShelf.Sync.Lag;

/// <summary>How far PostgreSQL is behind one table's stream, as one sync-lag run found it.</summary>
/// <param name="Table">The PostgreSQL table (the metrics' Table dimension).</param>
/// <param name="SourceTable">The DynamoDB table.</param>
/// <param name="StreamArn">The stream read.</param>
/// <param name="SyncLag">Age of the oldest change not yet in PostgreSQL; zero when every change read is in.</param>
/// <param name="RetentionHeadroom">24 hours minus <paramref name="SyncLag"/>: how long before that change leaves the stream.</param>
/// <param name="UnappliedChanges">Changes read and not yet in PostgreSQL.</param>
/// <param name="LostChanges">Changes the mapping passed over without applying them, quarantined and not yet replayed.</param>
/// <param name="NewlyLost">Of those, found by this run.</param>
/// <param name="RecordsRead">Stream records this run read.</param>
/// <param name="CaughtUp">This run read every shard to its current end (else its budget ran out, and the next run goes on).</param>
/// <param name="RetentionGaps">Shards where records had left the stream before sync-lag read them.</param>
public sealed record TableLag(
    string Table,
    string SourceTable,
    string StreamArn,
    TimeSpan SyncLag,
    TimeSpan RetentionHeadroom,
    long UnappliedChanges,
    long LostChanges,
    int NewlyLost,
    int RecordsRead,
    bool CaughtUp,
    int RetentionGaps);
