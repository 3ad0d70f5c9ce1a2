using Amazon.DynamoDBv2;
using Amazon.DynamoDBv2.Model;
using CloudShelf.Sync.Cli.LocalMapping;
using CloudShelf.Sync.Configuration;
using CloudShelf.Sync.Hosting;
using CloudShelf.Sync.Observability;
using CloudShelf.Sync.StreamReading;
using CloudShelf.Sync.StreamSync;
using CloudShelf.Sync.Testing;

namespace CloudShelf.Sync.Benchmarks;

/// <summary>What consumes the stream behind <c>stream run</c> in one contender of the end-to-end benchmark.</summary>
internal enum PipelineKind
{
    /// <summary>A function that only notes each record's arrival (<see cref="DeliveryRecorder"/>).</summary>
    NoOp,

    /// <summary>stream-sync in this process, as <c>stream run</c> runs it by default.</summary>
    InProcess,

    /// <summary>The published bootstrap behind a local Runtime API (<c>stream run --bootstrap</c>).</summary>
    Bootstrap,
}

/// <summary>
/// One contender: a books table of its own in DynamoDB Local with a NEW_AND_OLD_IMAGES stream, a
/// PostgreSQL database of its own, and the local event source mapping reading that stream for as
/// long as this object lives, with the template's settings.
/// </summary>
internal sealed class EndToEndPipeline : IAsyncDisposable
{
    public const string KeyAttribute = "bookId";

    private static readonly TimeSpan ArrivalPoll = TimeSpan.FromMilliseconds(50);

    private readonly SyncServices _services;
    private readonly IBatchInvoker _invoker;
    private readonly DeliveryRecorder? _recorder;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _run;

    private EndToEndPipeline(string name, string table, PipelineKind kind, SyncServices services, IBatchInvoker invoker,
        DeliveryRecorder? recorder, LocalMappingOptions options, string onFailure)
    {
        Name = name;
        Table = table;
        Kind = kind;
        _services = services;
        _invoker = invoker;
        _recorder = recorder;
        OnFailureDirectory = onFailure;
        var mapping = new LocalEventSourceMapping(options, services.DynamoDb, services.StreamReader,
            new ShardCheckpointStore(services.DataSource, ShardCheckpointStore.LocalMappingConsumer), invoker, NullLog.Instance, TimeProvider.System);
        Summary = mapping.Summary;
        _run = Task.Run(() => mapping.RunAsync([table], _stop.Token));
    }

    public string Name { get; }

    public string Table { get; }

    public PipelineKind Kind { get; }

    public MappingSummary Summary { get; }

    private string OnFailureDirectory { get; }

    /// <summary>The mapping's settings: template.yaml's defaults, read from a fresh options object.</summary>
    public static LocalMappingOptions Options(string onFailure) => new() { OnFailureDirectory = onFailure };

    public static async Task<EndToEndPipeline> StartAsync(string name, PipelineKind kind, string? bootstrap, IAmazonDynamoDB client,
        string dynamoEndpoint, PostgresServer postgres, CancellationToken cancellationToken)
    {
        var table = "bench-e2e-" + name;
        await client.CreateTableAsync(new CreateTableRequest
        {
            TableName = table,
            KeySchema = [new KeySchemaElement(KeyAttribute, KeyType.HASH)],
            AttributeDefinitions = [new AttributeDefinition(KeyAttribute, ScalarAttributeType.S)],
            BillingMode = BillingMode.PAY_PER_REQUEST,
            StreamSpecification = new StreamSpecification { StreamEnabled = true, StreamViewType = StreamViewType.NEW_AND_OLD_IMAGES },
        }, cancellationToken);
        // DynamoDB Local answers TrimmedDataAccessException when a TRIM_HORIZON iterator of an empty
        // shard is read while the shard's first record is being written (a race of DynamoDB Local's;
        // the reader has no position to report a gap from and stops). One record before the mapping
        // starts keeps the measured passes clear of it.
        await client.PutItemAsync(new PutItemRequest
        {
            TableName = table,
            Item = Items.Book("seed", "1", 1).ToDictionary(a => a.Key, a => Dynamo.SdkValues.ToSdk(a.Value)),
        }, cancellationToken);
        var environment = new Dictionary<string, string>
        {
            [SyncSettings.PostgresConnectionVariable] = await postgres.CreateDatabaseAsync(ct: cancellationToken),
            [SyncSettings.DynamoDbEndpointVariable] = dynamoEndpoint,
            [SyncSettings.BooksTableVariable] = table,
            [SyncSettings.LogLevelVariable] = "ERROR",
        };
#pragma warning disable CA2000 // The pipeline owns the services, the invoker and the recorder, and disposes them.
        var services = SyncServices.Create(SyncSettings.Load(new DictionaryEnvironment(environment)), NullLog.Instance,
            new EmfMetrics(TextWriter.Null, "bench", TimeProvider.System), TimeProvider.System);
        try
        {
            await services.Migrator.MigrateAsync(cancellationToken);
            DeliveryRecorder? recorder = kind == PipelineKind.NoOp ? new DeliveryRecorder { KeyAttribute = KeyAttribute } : null;
            // As stream run starts them for one table: min(tables x ParallelizationFactor, 4) execution environments.
            var onFailure = Directory.CreateTempSubdirectory("cloudshelf-bench-on-failure-").FullName;
            var options = Options(onFailure);
            IBatchInvoker invoker = kind switch
            {
                PipelineKind.NoOp => recorder!,
                PipelineKind.InProcess => new InProcessInvoker(FunctionCatalog.Create(StreamSyncHandler.Name, services), TimeProvider.System),
                _ => new BootstrapInvoker(bootstrap ?? throw new ArgumentNullException(nameof(bootstrap)), environment,
                    Math.Min(options.Parallelization, 4), TextWriter.Null, TimeProvider.System),
            };
            return new EndToEndPipeline(name, table, kind, services, invoker, recorder, options, onFailure);
#pragma warning restore CA2000
        }
        catch
        {
            await services.DisposeAsync();
            throw;
        }
    }

    /// <summary>
    /// Waits until every key has arrived (its row is in PostgreSQL, or for the no-op function, it was
    /// delivered) and returns when each did: <c>synced_at</c>, or the delivery time.
    /// </summary>
    /// <exception cref="InvalidOperationException">The keys did not all arrive within <paramref name="timeout"/>, or the mapping stopped.</exception>
    public async Task<IReadOnlyDictionary<string, DateTimeOffset>> ArrivalsAsync(
        IReadOnlyCollection<string> keys, string prefix, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var deadline = DateTimeOffset.UtcNow + timeout;
        while (true)
        {
            if (_run.IsCompleted)
            {
                await _run;
                throw new InvalidOperationException($"{Name}: the mapping stopped before the records arrived.");
            }
            var arrived = _recorder is null ? await RowCountAsync(prefix, cancellationToken) : keys.Count(_recorder.Arrivals.ContainsKey);
            if (arrived >= keys.Count) break;
            if (DateTimeOffset.UtcNow > deadline)
                throw new InvalidOperationException(
                    $"{Name}: {arrived} of {keys.Count} records arrived within {timeout.TotalSeconds:0} s; on-failure batches: {Summary.BatchesToOnFailure} ({OnFailureDirectory}).");
            await Task.Delay(ArrivalPoll, cancellationToken);
        }
        if (_recorder is not null) return keys.ToDictionary(k => k, k => _recorder.Arrivals[k], StringComparer.Ordinal);

        var rows = new Dictionary<string, DateTimeOffset>(StringComparer.Ordinal);
        await using var command = _services.DataSource.CreateCommand("SELECT book_id, synced_at FROM cloudshelf.books WHERE starts_with(book_id, $1)");
        command.Parameters.Add(new Npgsql.NpgsqlParameter { Value = prefix });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken)) rows[reader.GetString(0)] = reader.GetFieldValue<DateTimeOffset>(1);
        return rows;
    }

    private async Task<int> RowCountAsync(string prefix, CancellationToken cancellationToken)
    {
        await using var command = _services.DataSource.CreateCommand("SELECT count(*) FROM cloudshelf.books WHERE starts_with(book_id, $1)");
        command.Parameters.Add(new Npgsql.NpgsqlParameter { Value = prefix });
        return (int)(long)(await command.ExecuteScalarAsync(cancellationToken))!;
    }

    /// <summary>Stops the mapping after its batches in flight, then the bootstrap processes and the services.</summary>
    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        try
        {
            await _run;
        }
        catch (OperationCanceledException)
        {
            // Stopped as asked.
        }
        catch (Exception)
        {
            // The mapping failed earlier; ArrivalsAsync reported it, and a second report here would hide the first.
        }
        finally
        {
            await _invoker.DisposeAsync();
            await _services.DisposeAsync();
            _stop.Dispose();
            Directory.Delete(OnFailureDirectory, recursive: true);
        }
    }
}
