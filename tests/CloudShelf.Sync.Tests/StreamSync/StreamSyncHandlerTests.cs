using System.Net.Sockets;
using System.Text;
using CloudShelf.Sync.Mapping;
using CloudShelf.Sync.Observability;
using CloudShelf.Sync.Postgres;
using CloudShelf.Sync.Streams;
using CloudShelf.Sync.StreamSync;
using CloudShelf.Sync.Tests.Streams;
using Moq;
using Npgsql;

namespace CloudShelf.Sync.Tests.StreamSync;

public sealed class StreamSyncHandlerTests
{
    private readonly Mock<IChangeWriter> _writer = new();

    private StreamSyncHandler Handler() => new(new StreamBatchProcessor(
        CloudShelfMapping.Create(SourceTableNames.Default), _writer.Object, Mock.Of<IItemReader>(), NullLog.Instance, Mock.Of<IMetrics>(), TimeProvider.System));

    private async Task<string> Handle(string file) =>
        Encoding.UTF8.GetString(await Handler().HandleAsync(SampleEvents.Bytes(file), CancellationToken.None));

    [Fact]
    public async Task A_batch_that_is_applied_answers_with_no_failures()
    {
        _writer.Setup(w => w.WriteAsync(It.IsAny<IReadOnlyList<Change>>(), It.IsAny<IReadOnlyList<QuarantineEntry>>(), It.IsAny<CancellationToken>()))
            .ReturnsAsync((IReadOnlyList<Change> changes, IReadOnlyList<QuarantineEntry> quarantine, CancellationToken _) =>
                new WriteResult { Won = changes.ToHashSet(), Committed = changes, Quarantined = quarantine });

        Assert.Equal("""{"batchItemFailures":[]}""", await Handle("mixed-batch.json"));
    }

    [Fact]
    public async Task A_batch_the_database_did_not_take_names_every_synced_record()
    {
        _writer.Setup(w => w.WriteAsync(It.IsAny<IReadOnlyList<Change>>(), It.IsAny<IReadOnlyList<QuarantineEntry>>(), It.IsAny<CancellationToken>()))
            .ThrowsAsync(new NpgsqlException("down", new SocketException()));

        var response = StreamEventSerializer.ReadResponse(Encoding.UTF8.GetBytes(await Handle("mixed-batch.json")));

        Assert.Equal(
            ["98765400000000003210001", "98765400000000003210002", "98765400000000003210004",
             "100012300000000003210417", "100012300000000003210418", "100012300000000003210420"],
            response.BatchItemFailures.Select(f => f.ItemIdentifier));
    }

    [Fact]
    public async Task The_aws_sample_of_an_unmapped_table_is_skipped_entirely()
    {
        _writer.Setup(w => w.WriteAsync(It.IsAny<IReadOnlyList<Change>>(), It.IsAny<IReadOnlyList<QuarantineEntry>>(), It.IsAny<CancellationToken>()))
            .ReturnsAsync((IReadOnlyList<Change> changes, IReadOnlyList<QuarantineEntry> quarantine, CancellationToken _) =>
            {
                Assert.Empty(changes);
                Assert.Empty(quarantine);
                return new WriteResult { Won = new HashSet<Change>(), Committed = [], Quarantined = [] };
            });

        Assert.Equal("""{"batchItemFailures":[]}""", await Handle("aws-sample.json"));
    }
}
