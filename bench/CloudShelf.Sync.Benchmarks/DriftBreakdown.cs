using System.Diagnostics;
using System.Globalization;
using Amazon.DynamoDBv2;
using Amazon.DynamoDBv2.Model;
using CloudShelf.Sync.Drift;
using CloudShelf.Sync.Dynamo;
using CloudShelf.Sync.Hosting;
using CloudShelf.Sync.Mapping;
using AttributeValue = CloudShelf.Sync.Streams.AttributeValue;

namespace CloudShelf.Sync.Benchmarks;

/// <summary>
/// Where a full drift pass spends its time, step by step, with the engine's own parts on a pass of
/// its own: the Scan page, the item conversion and mapping, the PostgreSQL round trip (seen keys, rows
/// and the previous page's checkpoint, as the engine sends it; then the same rows read alone, to tell
/// them apart), the comparison, the segments' last checkpoints, the extras search and the pass's completion. One segment at a time
/// and nothing overlapped, so the steps add up to the work a pass does, not to its wall time.
/// </summary>
internal sealed class DriftBreakdown(SyncServices services, IAmazonDynamoDB client, int segments, int pageSize)
{
    private readonly StoredRowReader _rows = new(services.DataSource, services.Mapping);

    public async Task<string> RunAsync(int size, CancellationToken cancellationToken)
    {
        var table = services.Mapping.ForTable("books")!;
        var store = services.Drift.Store;
        var pass = await store.OpenPassAsync(table.Table, segments, cancellationToken);
        double scan = 0, map = 0, pg = 0, read = 0, compare = 0, checkpoint = 0;
        var compared = 0;
        for (var segment = 0; segment < segments; segment++)
        {
            Dictionary<string, Amazon.DynamoDBv2.Model.AttributeValue>? start = null;
            Npgsql.NpgsqlBatchCommand? pending = null;
            do
            {
                var started = Stopwatch.GetTimestamp();
                var page = await client.ScanAsync(new ScanRequest
                {
                    TableName = table.SourceTable, Segment = segment, TotalSegments = segments, Limit = pageSize, ExclusiveStartKey = start,
                    ReturnConsumedCapacity = ReturnConsumedCapacity.TOTAL,
                }, cancellationToken);
                scan += Lap(ref started);

                var mapped = new List<MappedRow>(page.Items.Count);
                foreach (var item in page.Items) mapped.Add(ItemMapper.Map(table, SdkValues.FromSdkItem(item)));
                var keys = mapped.Select(m => m.Key).ToArray();
                map += Lap(ref started);

                var stored = await _rows.ReadAsync(table, keys, pass.PassId, pending, cancellationToken);
                pg += Lap(ref started);
                await _rows.ReadAsync(table, keys, null, null, cancellationToken);
                read += Lap(ref started);

                foreach (var row in mapped)
                {
                    if (RowComparer.Differences(table, row, stored[row.Key]).Count != 0)
                        throw new InvalidOperationException($"The breakdown found {row.Key} changed.");
                }
                compare += Lap(ref started);

                Dictionary<string, AttributeValue>? next = page.LastEvaluatedKey is { Count: > 0 } last ? SdkValues.FromSdkItem(last) : null;
                // As the engine does: a page's checkpoint rides with the next page's round trip; the last is saved alone.
                pending = DriftStore.SegmentCheckpoint(pass.PassId, segment, next, mapped.Count);
                if (next is null) await store.SaveSegmentAsync(pass.PassId, segment, next, mapped.Count, cancellationToken);
                checkpoint += Lap(ref started);
                compared += mapped.Count;
                start = page.LastEvaluatedKey is { Count: > 0 } more ? more : null;
            }
            while (start is not null);
        }
        if (compared != size) throw new InvalidOperationException($"The breakdown compared {compared} of {size} items.");

        var extrasStarted = Stopwatch.GetTimestamp();
        var after = "";
        var unseen = 0;
        while (true)
        {
            var (rows, lastKey) = await store.UnseenRowsAsync(table, pass.PassId, after, pageSize * 20, cancellationToken);
            unseen += rows.Count;
            if (lastKey is null) break;
            after = lastKey;
        }
        var extras = Lap(ref extrasStarted);
        if (unseen != 0) throw new InvalidOperationException($"The breakdown's extras search found {unseen} rows unseen.");
        await store.CompletePassAsync(table, pass.PassId, cancellationToken);
        var complete = Lap(ref extrasStarted);

        var total = scan + map + pg + compare + checkpoint + extras + complete;
        return string.Create(CultureInfo.InvariantCulture,
            $"{size,8:N0}  per 1,000 items: scan {PerThousand(scan)}, convert+map {PerThousand(map)}, PostgreSQL seen keys+rows+checkpoint {PerThousand(pg)} " +
            $"(rows alone {PerThousand(read)}), compare {PerThousand(compare)}, last checkpoints {PerThousand(checkpoint)}, extras search {PerThousand(extras)}, " +
            $"complete {PerThousand(complete)}; beyond the scan {PerThousand(total - scan)} ms");

        string PerThousand(double milliseconds) => (milliseconds * 1000 / size).ToString("F1", CultureInfo.InvariantCulture);
    }

    private static double Lap(ref long started)
    {
        var now = Stopwatch.GetTimestamp();
        var elapsed = Stopwatch.GetElapsedTime(started, now).TotalMilliseconds;
        started = now;
        return elapsed;
    }
}
