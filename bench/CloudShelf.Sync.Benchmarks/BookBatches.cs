using System.Globalization;
using System.Text.Json;
using CloudShelf.Sync.Mapping;
using CloudShelf.Sync.Streams;
using CloudShelf.Sync.Testing;

namespace CloudShelf.Sync.Benchmarks;

/// <summary>One book row exactly as the sync writes it: the mapper's column values plus the sync columns.</summary>
/// <param name="Key">book_id.</param>
/// <param name="Values">Column values in the order of the books mapping's columns, as <see cref="ItemMapper.Map"/> returns them.</param>
/// <param name="AttributesJson">The attributes column.</param>
/// <param name="SequenceNumber">sync_sequence, as decimal text.</param>
/// <param name="ChangedAt">sync_changed_at: the record's ApproximateCreationDateTime.</param>
internal sealed record BookRow(string Key, object?[] Values, string AttributesJson, string SequenceNumber, DateTime? ChangedAt);

/// <summary>The same batch in every form a contender starts from: the event's JSON and the rows it becomes.</summary>
internal sealed class BookBatch
{
    public required IReadOnlyList<string> Keys { get; init; }

    /// <summary>The Lambda event as delivered, for stream-apply.</summary>
    public required byte[] EventJson { get; init; }

    /// <summary>The rows the event becomes, for COPY and naive.</summary>
    public required IReadOnlyList<BookRow> Rows { get; init; }
}

/// <summary>
/// Generates realistic book batches with the test-data builders. Sequence numbers grow across every
/// batch it makes, as in one shard; modifies carry the previous image as OldImage, as the
/// NEW_AND_OLD_IMAGES stream of the canned events does.
/// </summary>
internal sealed class BookBatchFactory
{
    private static readonly string[] Titles =
    [
        "Piranesi", "The Remains of the Day", "Middlemarch", "A Wizard of Earthsea", "The Left Hand of Darkness",
        "Never Let Me Go", "Wolf Hall", "The Name of the Rose", "Beloved", "The Master and Margarita",
        "Gilead", "The Leopard", "Invisible Cities", "Station Eleven", "The Secret History",
        "Things Fall Apart", "Pale Fire", "Hild", "Klara and the Sun", "The Dispossessed",
    ];

    // 26 digits, the shape of real DynamoDB Streams sequence numbers (see events/books-insert.json).
    private decimal _nextSequence = 48120700000000000000000000m;
    private readonly Dictionary<string, Dictionary<string, AttributeValue>> _current = new(StringComparer.Ordinal);

    public BookBatchFactory(TableMapping books) => Books = books;

    public TableMapping Books { get; }

    /// <summary>A batch of INSERTs of <paramref name="size"/> keys never used before (the prefix must be new).</summary>
    public BookBatch Inserts(string keyPrefix, int size)
    {
        var keys = new List<string>(size);
        var records = new List<DynamoDBStreamRecord>(size);
        for (var j = 0; j < size; j++)
        {
            var key = string.Create(CultureInfo.InvariantCulture, $"{keyPrefix}-{j:D5}");
            var item = Items.Book(
                key,
                price: Price(j, version: 0),
                stock: Stock(j, version: 0),
                title: string.Create(CultureInfo.InvariantCulture, $"{Titles[j % Titles.Length]}, volume {j / Titles.Length + 1}"));
            _current[key] = item;
            keys.Add(key);
            records.Add(StreamEvents.Insert(StreamEvents.Books, NextSequence(), item));
        }
        return Build(keys, records);
    }

    /// <summary>A batch of MODIFYs of keys this factory inserted: new price, stock and updatedAt, higher sequence numbers.</summary>
    public BookBatch Modifies(IReadOnlyList<string> keys, int version)
    {
        var records = new List<DynamoDBStreamRecord>(keys.Count);
        for (var j = 0; j < keys.Count; j++)
        {
            var old = _current[keys[j]];
            var item = new Dictionary<string, AttributeValue>(old, StringComparer.Ordinal)
            {
                ["price"] = Items.N(Price(j, version)),
                ["stock"] = Items.N(Stock(j, version).ToString(CultureInfo.InvariantCulture)),
                // The canonical toISOString form: anything else would also land in attributes.
                ["updatedAt"] = Items.S(new DateTime(2026, 11, 21, 10, 15, 30, DateTimeKind.Utc)
                    .AddMinutes(version).AddMilliseconds(j)
                    .ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture)),
            };
            _current[keys[j]] = item;
            records.Add(StreamEvents.Modify(StreamEvents.Books, NextSequence(), item, old));
        }
        return Build(keys, records);
    }

    private BookBatch Build(IReadOnlyList<string> keys, List<DynamoDBStreamRecord> records)
    {
        var rows = new List<BookRow>(records.Count);
        foreach (var record in records)
        {
            var change = record.Dynamodb!;
            var mapped = ItemMapper.Map(Books, change.NewImage!);
            // The references write attributes = '{}'; an ill-fitting value would make them write less than the sync.
            if (mapped.AttributesJson != "{}" || mapped.IllFitting.Count > 0)
                throw new InvalidOperationException($"Generated book {mapped.Key} does not map exactly: attributes {mapped.AttributesJson}.");
            rows.Add(new BookRow(mapped.Key, mapped.Values, mapped.AttributesJson, change.SequenceNumber!, change.ApproximateCreationDateTime?.UtcDateTime));
        }
        var json = JsonSerializer.SerializeToUtf8Bytes(StreamEvents.Event(records), StreamJsonContext.Default.DynamoDBEvent);
        return new BookBatch { Keys = keys, EventJson = json, Rows = rows };
    }

    private string NextSequence()
    {
        var sequence = _nextSequence.ToString(CultureInfo.InvariantCulture);
        _nextSequence++;
        return sequence;
    }

    // Prices from 4.99 to 44.98 in cent steps that differ per record and per version.
    private static string Price(int j, int version) =>
        (4.99m + (j * 37 + version * 101) % 4000 / 100m).ToString("0.00", CultureInfo.InvariantCulture);

    private static int Stock(int j, int version) => (j * 13 + version * 7) % 250;
}
