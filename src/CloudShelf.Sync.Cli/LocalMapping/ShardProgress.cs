using CloudShelf.Sync.Streams;

namespace CloudShelf.Sync.Cli.LocalMapping;

/// <summary>
/// Which records of a shard are handled, in shard order, so that the checkpoint is the last record
/// before the first one still unhandled: with several lanes, a later batch may finish first, and the
/// shard's checkpoint must not pass a record another lane still holds.
/// </summary>
internal sealed class ShardProgress
{
    private readonly LinkedList<Entry> _order = new();
    private readonly Dictionary<string, LinkedListNode<Entry>> _bySequence = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();

    /// <summary>Records not yet handled.</summary>
    public int Outstanding
    {
        get
        {
            lock (_gate) return _order.Count;
        }
    }

    /// <summary>Registers records as read, in shard order.</summary>
    public void Add(IEnumerable<DynamoDBStreamRecord> records)
    {
        lock (_gate)
        {
            foreach (var record in records)
            {
                var sequence = record.Dynamodb!.SequenceNumber!;
                _bySequence[sequence] = _order.AddLast(new Entry(sequence));
            }
        }
    }

    /// <summary>Marks records handled; returns the new checkpoint when it moved, else null.</summary>
    public string? Complete(IEnumerable<DynamoDBStreamRecord> records)
    {
        lock (_gate)
        {
            foreach (var record in records)
            {
                if (_bySequence.TryGetValue(record.Dynamodb!.SequenceNumber!, out var node)) node.Value.Done = true;
            }
            string? checkpoint = null;
            while (_order.First is { Value.Done: true } first)
            {
                checkpoint = first.Value.Sequence;
                _bySequence.Remove(checkpoint);
                _order.RemoveFirst();
            }
            return checkpoint;
        }
    }

    private sealed class Entry(string sequence)
    {
        public string Sequence { get; } = sequence;
        public bool Done { get; set; }
    }
}
