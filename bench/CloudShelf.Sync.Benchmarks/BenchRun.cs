using System.Diagnostics;
using System.Runtime.InteropServices;
using CloudShelf.Sync.Postgres;
using CloudShelf.Sync.Testing;
using Npgsql;

namespace CloudShelf.Sync.Benchmarks;

/// <summary>The whole run: a PostgreSQL server, one database per contender, two phases, the report.</summary>
internal static class BenchRun
{
    public static async Task RunAsync(BenchOptions options, TextWriter output, CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        await using var server = await PostgresServer.StartAsync(cancellationToken);

        await using var services = await StreamApplyContender.StartServicesAsync(await server.CreateDatabaseAsync(ct: cancellationToken), cancellationToken);
        await using var copyDatabase = await MigratedAsync(server, cancellationToken);
        await using var naiveDatabase = await MigratedAsync(server, cancellationToken);
        // The very mapping the sync uses: the references write the same columns.
        var books = services.Mapping.ForSourceTable(StreamEvents.Books)
                    ?? throw new InvalidOperationException($"The sync maps no table named {StreamEvents.Books}.");
        var stream = new StreamApplyContender(services);
        Contender[] contenders = [new CopyContender(copyDatabase, books), new NaiveContender(naiveDatabase, books), stream];

        await WriteMachineAsync(output, server, stream.DataSource, options, cancellationToken);
        var factory = new BookBatchFactory(books);
        var batch = options.Batch;

        BookBatch? last = null;
        var inserts = await Harness.RunPhaseAsync(contenders, options.Warmup, options.Rounds,
            round => last = factory.Inserts(Report.Invariant($"ins-{round:D4}"), batch), Progress("inserts"), cancellationToken);
        await CheckSameRowsAsync(contenders, last!, books, cancellationToken);
        Report.Phase(output, Report.Invariant($"inserts: {batch:N0} new keys per batch"),
            "COPY goes into an emptied table; naive and stream-apply into a table that keeps every earlier round's rows.",
            batch, inserts);

        // The keys every modify round changes, inserted untimed into every contender's table.
        var seed = factory.Inserts("mod", batch);
        foreach (var contender in contenders)
            await Harness.ApplyOnceAsync(contender, seed, cancellationToken);
        var modifies = await Harness.RunPhaseAsync(contenders, options.Warmup, options.Rounds,
            round => last = factory.Modifies(seed.Keys, round + 1), Progress("modifies"), cancellationToken);
        await CheckSameRowsAsync(contenders, last!, books, cancellationToken);
        Report.Phase(output, Report.Invariant($"modifies: MODIFY of the same {batch:N0} keys, higher sequence numbers, new price/stock/updatedAt"),
            Report.Invariant($"COPY cannot update: in this phase it copies the same {batch:N0} modified rows into an emptied table."),
            batch, modifies);

        if (options.Breakdown)
        {
            await using var twinServices = await StreamApplyContender.StartServicesAsync(await server.CreateDatabaseAsync(ct: cancellationToken), cancellationToken);
            var breakdown = new Breakdown(new StreamApplyContender(twinServices), factory) { Size = batch };
            var insertSplit = await breakdown.InsertsAsync(options.Warmup, options.Rounds, cancellationToken);
            var modifySplit = await breakdown.ModifiesAsync(options.Warmup, options.Rounds, cancellationToken);
            Report.Breakdown(output, batch, [insertSplit, modifySplit]);
        }

        output.WriteLine();
        output.WriteLine(Report.Invariant($"run took {Stopwatch.GetElapsedTime(started).TotalSeconds:F0} s (cluster start and set-up included)"));
    }

    private static async Task<NpgsqlDataSource> MigratedAsync(PostgresServer server, CancellationToken cancellationToken)
    {
        var dataSource = NpgsqlDataSource.Create(await server.CreateDatabaseAsync(ct: cancellationToken));
        try
        {
            await new SchemaMigrator(dataSource).MigrateAsync(cancellationToken);
            return dataSource;
        }
        catch
        {
            await dataSource.DisposeAsync();
            throw;
        }
    }

    private static async Task WriteMachineAsync(
        TextWriter output, PostgresServer server, NpgsqlDataSource dataSource, BenchOptions options, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            "SELECT current_setting('server_version'), current_setting('fsync'), current_setting('synchronous_commit'), current_setting('shared_buffers')");
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        var where = server.IsThrowawayCluster ? "throwaway cluster" : $"external server from {PostgresServer.ConnectionEnvironmentVariable}";

        output.WriteLine("CloudShelf.Sync stream-apply benchmark");
        output.WriteLine(Report.Invariant($"machine:    {Environment.ProcessorCount} cores{CpuModel()}, {RuntimeInformation.OSDescription}"));
        output.WriteLine(Report.Invariant($".NET:       {RuntimeInformation.FrameworkDescription} ({RuntimeInformation.ProcessArchitecture}), GC {(System.Runtime.GCSettings.IsServerGC ? "server" : "workstation")}"));
        output.WriteLine(Report.Invariant(
            $"PostgreSQL: {reader.GetString(0)} ({where}; fsync={reader.GetString(1)}, synchronous_commit={reader.GetString(2)}, shared_buffers={reader.GetString(3)})"));
        output.WriteLine(Report.Invariant(
            $"batches:    {options.Batch:N0} book records; {options.Warmup} warm-up + {options.Rounds} measured rounds per phase; contenders interleaved per round"));
        output.WriteLine("contenders, each in a database of its own:");
        output.WriteLine("  COPY          binary COPY of the batch's rows (the values the sync writes) into cloudshelf.books, emptied untimed before each batch");
        output.WriteLine("  naive         one INSERT ... ON CONFLICT (book_id) DO UPDATE per record in one transaction, from the mapped rows");
        output.WriteLine("  stream-apply  StreamSyncHandler.HandleAsync on the event's JSON: parse, map, guarded set-based merge");
        output.WriteLine("ms/batch is the median; records/s follows from it; ratios compare throughput (reference ms / stream-apply ms).");
    }

    private static string CpuModel()
    {
        const string cpuInfo = "/proc/cpuinfo";
        if (!File.Exists(cpuInfo)) return "";
        var line = File.ReadLines(cpuInfo).FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal));
        return line is null ? "" : " (" + line[(line.IndexOf(':', StringComparison.Ordinal) + 1)..].Trim() + ")";
    }

    /// <summary>Progress on a terminal only: a redirected report stays the report.</summary>
    private static Action<string> Progress(string phase) => step =>
    {
        if (!Console.IsErrorRedirected) Console.Error.Write($"\r{phase}: {step}    ");
    };

    /// <summary>
    /// Every contender must leave the same rows for the last batch (synced_at aside), or the
    /// comparison would not be of like with like.
    /// </summary>
    private static async Task CheckSameRowsAsync(
        IReadOnlyList<Contender> contenders, BookBatch batch, Mapping.TableMapping books, CancellationToken cancellationToken)
    {
        if (!Console.IsErrorRedirected) Console.Error.Write("\r" + new string(' ', 40) + "\r");
        var columns = string.Join(", ", new[] { books.KeyColumn }.Concat(books.Columns.Select(c => c.Column))
            .Concat([books.AttributesColumn, "sync_sequence", "sync_changed_at"]));
        var sql = $"""
            SELECT count(*), coalesce(md5(string_agg(concat_ws('|', {columns}), E'\n' ORDER BY {books.KeyColumn})), '')
            FROM {books.Schema}.{books.Table} WHERE {books.KeyColumn} = ANY($1)
            """;
        var fingerprints = new List<(string Name, long Count, string Hash)>();
        foreach (var contender in contenders)
        {
            await using var command = contender.DataSource.CreateCommand(sql);
            command.Parameters.Add(new NpgsqlParameter { Value = batch.Keys.ToArray() });
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            await reader.ReadAsync(cancellationToken);
            fingerprints.Add((contender.Name, reader.GetInt64(0), reader.GetString(1)));
        }
        if (fingerprints.Any(f => f.Count != batch.Keys.Count || f.Hash != fingerprints[0].Hash))
            throw new InvalidOperationException("The contenders left different rows for the last batch: "
                + string.Join("; ", fingerprints.Select(f => Report.Invariant($"{f.Name} {f.Count} rows, md5 {f.Hash}"))));
    }
}
