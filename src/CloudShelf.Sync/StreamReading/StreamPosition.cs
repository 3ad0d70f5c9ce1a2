namespace CloudShelf.Sync.StreamReading;

/// <summary>Where reading a shard starts or continues: an iterator type and, for the sequence-number types, the number.</summary>
/// <param name="Type">The iterator type.</param>
/// <param name="SequenceNumber">Set for <see cref="ShardIteratorType.AT_SEQUENCE_NUMBER"/> and <see cref="ShardIteratorType.AFTER_SEQUENCE_NUMBER"/>.</param>
public readonly record struct StreamPosition(ShardIteratorType Type, string? SequenceNumber)
{
    /// <summary>The oldest record kept.</summary>
    public static StreamPosition TrimHorizon => new(ShardIteratorType.TRIM_HORIZON, null);

    /// <summary>Only records written from now on.</summary>
    public static StreamPosition Latest => new(ShardIteratorType.LATEST, null);

    /// <summary>Just after a record: what a checkpoint means.</summary>
    public static StreamPosition After(string sequenceNumber)
    {
        ArgumentException.ThrowIfNullOrEmpty(sequenceNumber);
        return new(ShardIteratorType.AFTER_SEQUENCE_NUMBER, sequenceNumber);
    }

    /// <summary>At a record (e.g. the first of an on-failure batch, to read it again).</summary>
    public static StreamPosition At(string sequenceNumber)
    {
        ArgumentException.ThrowIfNullOrEmpty(sequenceNumber);
        return new(ShardIteratorType.AT_SEQUENCE_NUMBER, sequenceNumber);
    }

    /// <inheritdoc />
    public override string ToString() => SequenceNumber is null ? Type.ToString() : $"{Type} {SequenceNumber}";
}
