using System.Globalization;
using System.Text;
using CloudShelf.Sync.Configuration;
using CloudShelf.Sync.Hosting;
using CloudShelf.Sync.Mapping;
using CloudShelf.Sync.Observability;
using CloudShelf.Sync.Postgres;
using CloudShelf.Sync.Streams;
using Npgsql;
using NpgsqlTypes;

namespace CloudShelf.Sync.Benchmarks;

/// <summary>
/// One way of getting a batch into cloudshelf.books, in a database of its own so that the
/// contenders never see each other's rows, locks or dead tuples. The data source is borrowed:
/// whoever made it disposes it.
/// </summary>
internal abstract class Contender(string name, NpgsqlDataSource dataSource)
{
    public string Name { get; } = name;

    /// <summary>The contender's own database.</summary>
    public NpgsqlDataSource DataSource { get; } = dataSource;

    /// <summary>Untimed: whatever must happen before the batch is applied.</summary>
    public virtual Task PrepareAsync(BookBatch batch, CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>Timed: applies the batch prepared last.</summary>
    public abstract Task ApplyAsync(CancellationToken cancellationToken);

    /// <summary>Untimed: checks that the batch was applied in full.</summary>
    public virtual void Check()
    {
    }

    /// <summary>The books mapping's columns, the sync's own columns after them, as both references write them.</summary>
    protected static IEnumerable<string> ColumnNames(TableMapping books) =>
        [books.KeyColumn, .. books.Columns.Select(c => c.Column), books.AttributesColumn, "sync_sequence", "sync_changed_at"];
}

/// <summary>
/// The upper reference: binary COPY of the same rows into an empty table. The table is emptied
/// before every batch, outside the timed region; synced_at takes its default, now(), as the sync
/// writes it.
/// </summary>
internal sealed class CopyContender : Contender
{
    private readonly TableMapping _books;
    private readonly string _copySql;
    private object?[][] _rows = [];

    public CopyContender(NpgsqlDataSource dataSource, TableMapping books) : base("COPY", dataSource)
    {
        _books = books;
        _copySql = $"COPY {books.Schema}.{books.Table} ({string.Join(", ", ColumnNames(books))}) FROM STDIN (FORMAT BINARY)";
    }

    public override async Task PrepareAsync(BookBatch batch, CancellationToken cancellationToken)
    {
        await using (var truncate = DataSource.CreateCommand($"TRUNCATE {_books.Schema}.{_books.Table}"))
            await truncate.ExecuteNonQueryAsync(cancellationToken);

        // COPY's best case: values already in their binary-ready CLR types (numeric as decimal).
        _rows = batch.Rows.Select(row =>
        {
            var values = new object?[_books.Columns.Count + 4];
            values[0] = row.Key;
            for (var i = 0; i < _books.Columns.Count; i++)
            {
                values[i + 1] = _books.Columns[i].Type == ColumnType.Numeric && row.Values[i] is string text
                    ? decimal.Parse(text, NumberStyles.Float, CultureInfo.InvariantCulture)
                    : row.Values[i];
            }
            values[^3] = row.AttributesJson;
            values[^2] = decimal.Parse(row.SequenceNumber, NumberStyles.None, CultureInfo.InvariantCulture);
            values[^1] = row.ChangedAt;
            return values;
        }).ToArray();
    }

    public override async Task ApplyAsync(CancellationToken cancellationToken)
    {
        await using var connection = await DataSource.OpenConnectionAsync(cancellationToken);
        await using var importer = await connection.BeginBinaryImportAsync(_copySql, cancellationToken);
        foreach (var row in _rows)
        {
            await importer.StartRowAsync(cancellationToken);
            await WriteAsync(importer, NpgsqlDbType.Text, row[0], cancellationToken);
            for (var i = 0; i < _books.Columns.Count; i++)
                await WriteAsync(importer, DbType(_books.Columns[i].Type), row[i + 1], cancellationToken);
            await WriteAsync(importer, NpgsqlDbType.Jsonb, row[^3], cancellationToken);
            await WriteAsync(importer, NpgsqlDbType.Numeric, row[^2], cancellationToken);
            await WriteAsync(importer, NpgsqlDbType.TimestampTz, row[^1], cancellationToken);
        }
        var copied = await importer.CompleteAsync(cancellationToken);
        if (copied != (ulong)_rows.Length)
            throw new InvalidOperationException($"COPY wrote {copied} rows of {_rows.Length}.");
    }

    private static NpgsqlDbType DbType(ColumnType type) => type switch
    {
        ColumnType.Text => NpgsqlDbType.Text,
        ColumnType.Numeric => NpgsqlDbType.Numeric,
        ColumnType.Integer => NpgsqlDbType.Integer,
        ColumnType.Boolean => NpgsqlDbType.Boolean,
        ColumnType.Date => NpgsqlDbType.Date,
        ColumnType.Timestamp => NpgsqlDbType.TimestampTz,
        ColumnType.TextArray => NpgsqlDbType.Array | NpgsqlDbType.Text,
        ColumnType.Json => NpgsqlDbType.Jsonb,
        _ => throw new ArgumentOutOfRangeException(nameof(type), type, null),
    };

    // Typed writes: Npgsql picks the binary converter from the CLR type and the database type.
    private static Task WriteAsync(NpgsqlBinaryImporter importer, NpgsqlDbType type, object? value, CancellationToken cancellationToken) => value switch
    {
        null => importer.WriteNullAsync(cancellationToken),
        string s => importer.WriteAsync(s, type, cancellationToken),
        decimal d => importer.WriteAsync(d, type, cancellationToken),
        int n => importer.WriteAsync(n, type, cancellationToken),
        bool b => importer.WriteAsync(b, type, cancellationToken),
        DateOnly date => importer.WriteAsync(date, type, cancellationToken),
        DateTime time => importer.WriteAsync(time, type, cancellationToken),
        string[] array => importer.WriteAsync(array, type, cancellationToken),
        _ => throw new InvalidOperationException($"No COPY conversion for {value.GetType().Name}."),
    };
}

/// <summary>
/// The lower reference: a straightforward handler. One INSERT ... ON CONFLICT DO UPDATE per record,
/// parameters per record (numeric as text cast to numeric), all in one transaction. It keeps the
/// sync_sequence guard so it is as correct as a per-row handler gets, but no tombstones.
/// </summary>
internal sealed class NaiveContender : Contender
{
    private readonly TableMapping _books;
    private readonly string _sql;
    private IReadOnlyList<BookRow> _rows = [];

    public NaiveContender(NpgsqlDataSource dataSource, TableMapping books) : base("naive", dataSource)
    {
        _books = books;
        var columns = ColumnNames(books).ToList();
        var values = new StringBuilder("$1");
        for (var i = 0; i < books.Columns.Count; i++)
        {
            values.Append(", $").Append(i + 2);
            values.Append(books.Columns[i].Type switch
            {
                ColumnType.Numeric => "::numeric",
                ColumnType.Json => "::jsonb",
                _ => "",
            });
        }
        var p = books.Columns.Count + 2;
        values.Append(CultureInfo.InvariantCulture, $", ${p}::jsonb, ${p + 1}::numeric, ${p + 2}, now()");
        var updates = string.Join(", ", columns.Skip(1).Append("synced_at").Select(c => $"{c} = EXCLUDED.{c}"));
        _sql = $"""
            INSERT INTO {books.Schema}.{books.Table} AS t ({string.Join(", ", columns)}, synced_at)
            VALUES ({values})
            ON CONFLICT ({books.KeyColumn}) DO UPDATE SET {updates}
            WHERE t.sync_sequence < EXCLUDED.sync_sequence
            """;
    }

    public override Task PrepareAsync(BookBatch batch, CancellationToken cancellationToken)
    {
        _rows = batch.Rows;
        return Task.CompletedTask;
    }

    public override async Task ApplyAsync(CancellationToken cancellationToken)
    {
        await using var connection = await DataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        foreach (var row in _rows)
        {
            await using var command = new NpgsqlCommand(_sql, connection, transaction);
            command.Parameters.Add(Parameter(row.Key, NpgsqlDbType.Text));
            for (var i = 0; i < _books.Columns.Count; i++)
                command.Parameters.Add(Parameter(row.Values[i], DbType(_books.Columns[i].Type)));
            command.Parameters.Add(Parameter(row.AttributesJson, NpgsqlDbType.Text));
            command.Parameters.Add(Parameter(row.SequenceNumber, NpgsqlDbType.Text));
            command.Parameters.Add(Parameter(row.ChangedAt, NpgsqlDbType.TimestampTz));
            if (await command.ExecuteNonQueryAsync(cancellationToken) != 1)
                throw new InvalidOperationException($"naive: the upsert of {row.Key} changed no row.");
        }
        await transaction.CommitAsync(cancellationToken);
    }

    private static NpgsqlParameter Parameter(object? value, NpgsqlDbType type) =>
        new() { Value = value ?? DBNull.Value, NpgsqlDbType = type };

    // Numeric and jsonb travel as text and are cast in the statement.
    private static NpgsqlDbType DbType(ColumnType type) => type switch
    {
        ColumnType.Integer => NpgsqlDbType.Integer,
        ColumnType.Boolean => NpgsqlDbType.Boolean,
        ColumnType.Date => NpgsqlDbType.Date,
        ColumnType.Timestamp => NpgsqlDbType.TimestampTz,
        ColumnType.TextArray => NpgsqlDbType.Array | NpgsqlDbType.Text,
        _ => NpgsqlDbType.Text,
    };
}

/// <summary>
/// The product: <see cref="Sync.StreamSyncHandler.HandleAsync(ReadOnlyMemory{byte}, CancellationToken)"/>
/// on the event's JSON, with the services built as the CLI builds them. Parsing, mapping, the
/// guards and the merge are all inside the timed region.
/// </summary>
internal sealed class StreamApplyContender : Contender
{
    private readonly SyncServices _services;
    private byte[] _eventJson = [];
    private byte[] _response = [];

    public StreamApplyContender(SyncServices services) : base("stream-apply", services.DataSource) => _services = services;

    public SyncServices Services => _services;

    /// <summary>The services as the CLI builds them, on a migrated database.</summary>
    public static async Task<SyncServices> StartServicesAsync(string connectionString, CancellationToken cancellationToken)
    {
        var settings = SyncSettings.Load(new DictionaryEnvironment(new Dictionary<string, string>
        {
            [SyncSettings.PostgresConnectionVariable] = connectionString,
        }));
        // EMF to nowhere: the handler still buffers its metrics (timed); Check flushes them (untimed).
        var metrics = new EmfMetrics(TextWriter.Null, settings.ServiceName, TimeProvider.System);
        var services = SyncServices.Create(settings, NullLog.Instance, metrics, TimeProvider.System);
        try
        {
            await services.Migrator.MigrateAsync(cancellationToken);
            return services;
        }
        catch
        {
            await services.DisposeAsync();
            throw;
        }
    }

    public override Task PrepareAsync(BookBatch batch, CancellationToken cancellationToken)
    {
        _eventJson = batch.EventJson;
        return Task.CompletedTask;
    }

    public override async Task ApplyAsync(CancellationToken cancellationToken) =>
        _response = await _services.StreamSync.HandleAsync(_eventJson, cancellationToken);

    public override void Check()
    {
        // Lambda flushes once per invocation; here that is outside the timed region.
        _services.Metrics.Flush();
        var failures = StreamEventSerializer.ReadResponse(_response).BatchItemFailures;
        if (failures.Count > 0)
            throw new InvalidOperationException($"stream-apply reported {failures.Count} failed records (first {failures[0].ItemIdentifier}); the measurement would be meaningless.");
    }
}
