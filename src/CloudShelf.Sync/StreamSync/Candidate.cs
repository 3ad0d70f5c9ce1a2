using CloudShelf.Sync.Mapping;
using CloudShelf.Sync.Streams;

namespace CloudShelf.Sync.StreamSync;

/// <summary>A record that passed classification: its table, key, sequence number and, once mapped, its row.</summary>
internal sealed class Candidate(SourceRecord source, TableMapping table, string key, string sequence, ChangeKind kind)
{
    public SourceRecord Source { get; } = source;
    public TableMapping Table { get; } = table;
    public string Key { get; } = key;
    public string Sequence { get; } = sequence;
    public ChangeKind Kind { get; } = kind;
    public Dictionary<string, AttributeValue>? Image { get; set; }
    public MappedRow? Row { get; set; }
}
