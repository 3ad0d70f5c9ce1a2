using System.Text.Json.Serialization;

namespace CloudShelf.Sync.Streams;

/// <summary>The ten DynamoDB attribute value types, named as on the wire.</summary>
public enum AttributeType : byte
{
    /// <summary>String.</summary>
    S,
    /// <summary>Number, carried as its decimal text.</summary>
    N,
    /// <summary>Binary.</summary>
    B,
    /// <summary>String set.</summary>
    SS,
    /// <summary>Number set.</summary>
    NS,
    /// <summary>Binary set.</summary>
    BS,
    /// <summary>Map.</summary>
    M,
    /// <summary>List.</summary>
    L,
    /// <summary>Null.</summary>
    NULL,
    /// <summary>Boolean.</summary>
    BOOL,
}

/// <summary>
/// One DynamoDB attribute value, immutable. Numbers stay text end to end: a DynamoDB N has up to
/// 38 significant digits, more than <see cref="decimal"/> or <see cref="double"/> can hold.
/// </summary>
[JsonConverter(typeof(AttributeValueJsonConverter))]
public sealed class AttributeValue : IEquatable<AttributeValue>
{
    private readonly object? _value;

    private AttributeValue(AttributeType type, object? value, bool flag = false)
    {
        Type = type;
        _value = value;
        Flag = flag;
    }

    /// <summary>The DynamoDB type of this value.</summary>
    public AttributeType Type { get; }

    private bool Flag { get; }

    /// <summary>The text of an S or N value.</summary>
    public string? S => Type == AttributeType.S ? (string)_value! : null;

    /// <summary>The decimal text of an N value.</summary>
    public string? N => Type == AttributeType.N ? (string)_value! : null;

    /// <summary>The bytes of a B value.</summary>
    public byte[]? B => Type == AttributeType.B ? (byte[])_value! : null;

    /// <summary>The members of an SS value.</summary>
    public IReadOnlyList<string>? SS => Type == AttributeType.SS ? (IReadOnlyList<string>)_value! : null;

    /// <summary>The members of an NS value, as decimal text.</summary>
    public IReadOnlyList<string>? NS => Type == AttributeType.NS ? (IReadOnlyList<string>)_value! : null;

    /// <summary>The members of a BS value.</summary>
    public IReadOnlyList<byte[]>? BS => Type == AttributeType.BS ? (IReadOnlyList<byte[]>)_value! : null;

    /// <summary>The entries of an M value.</summary>
    public IReadOnlyDictionary<string, AttributeValue>? M =>
        Type == AttributeType.M ? (IReadOnlyDictionary<string, AttributeValue>)_value! : null;

    /// <summary>The elements of an L value.</summary>
    public IReadOnlyList<AttributeValue>? L => Type == AttributeType.L ? (IReadOnlyList<AttributeValue>)_value! : null;

    /// <summary>The value of a BOOL.</summary>
    public bool? BOOL => Type == AttributeType.BOOL ? Flag : null;

    /// <summary>True for a NULL value.</summary>
    public bool IsNull => Type == AttributeType.NULL;

    /// <summary>The text of an S or the decimal text of an N.</summary>
    internal string Text => (string)_value!;

    /// <summary>The one NULL value.</summary>
    public static AttributeValue Null { get; } = new(AttributeType.NULL, null, true);

    /// <summary>BOOL true.</summary>
    public static AttributeValue True { get; } = new(AttributeType.BOOL, null, true);

    /// <summary>BOOL false.</summary>
    public static AttributeValue False { get; } = new(AttributeType.BOOL, null, false);

    /// <summary>A string value.</summary>
    public static AttributeValue FromS(string value) => new(AttributeType.S, value ?? throw new ArgumentNullException(nameof(value)));

    /// <summary>A number value from its decimal text, kept exactly as given.</summary>
    public static AttributeValue FromN(string value) => new(AttributeType.N, value ?? throw new ArgumentNullException(nameof(value)));

    /// <summary>A binary value.</summary>
    public static AttributeValue FromB(byte[] value) => new(AttributeType.B, value ?? throw new ArgumentNullException(nameof(value)));

    /// <summary>A string set.</summary>
    public static AttributeValue FromSS(IReadOnlyList<string> values) => new(AttributeType.SS, values ?? throw new ArgumentNullException(nameof(values)));

    /// <summary>A number set.</summary>
    public static AttributeValue FromNS(IReadOnlyList<string> values) => new(AttributeType.NS, values ?? throw new ArgumentNullException(nameof(values)));

    /// <summary>A binary set.</summary>
    public static AttributeValue FromBS(IReadOnlyList<byte[]> values) => new(AttributeType.BS, values ?? throw new ArgumentNullException(nameof(values)));

    /// <summary>A map.</summary>
    public static AttributeValue FromM(IReadOnlyDictionary<string, AttributeValue> entries) => new(AttributeType.M, entries ?? throw new ArgumentNullException(nameof(entries)));

    /// <summary>A list.</summary>
    public static AttributeValue FromL(IReadOnlyList<AttributeValue> elements) => new(AttributeType.L, elements ?? throw new ArgumentNullException(nameof(elements)));

    /// <summary>A boolean.</summary>
    public static AttributeValue FromBool(bool value) => value ? True : False;

    /// <summary>
    /// Structural equality. Sets compare as sets (DynamoDB does not keep their order); numbers compare
    /// by their text, which DynamoDB normalises.
    /// </summary>
    public bool Equals(AttributeValue? other)
    {
        if (ReferenceEquals(this, other)) return true;
        if (other is null || other.Type != Type) return false;
        switch (Type)
        {
            case AttributeType.S:
            case AttributeType.N:
                return string.Equals(Text, other.Text, StringComparison.Ordinal);
            case AttributeType.B:
                return B!.AsSpan().SequenceEqual(other.B);
            case AttributeType.SS:
            case AttributeType.NS:
                return SetEquals((IReadOnlyList<string>)_value!, (IReadOnlyList<string>)other._value!);
            case AttributeType.BS:
                return SetEquals(BS!.Select(Convert.ToBase64String).ToList(), other.BS!.Select(Convert.ToBase64String).ToList());
            case AttributeType.M:
                return ItemEquality.Equal(M!, other.M!);
            case AttributeType.L:
                return L!.SequenceEqual(other.L!);
            case AttributeType.NULL:
                return true;
            case AttributeType.BOOL:
                return Flag == other.Flag;
            default:
                return false;
        }
    }

    private static bool SetEquals(IReadOnlyList<string> a, IReadOnlyList<string> b) =>
        a.Count == b.Count && new HashSet<string>(a, StringComparer.Ordinal).SetEquals(b);

    /// <inheritdoc />
    public override bool Equals(object? obj) => Equals(obj as AttributeValue);

    /// <inheritdoc />
    public override int GetHashCode() => Type switch
    {
        AttributeType.S or AttributeType.N => HashCode.Combine(Type, StringComparer.Ordinal.GetHashCode(Text)),
        AttributeType.BOOL => HashCode.Combine(Type, Flag),
        _ => Type.GetHashCode(),
    };

    /// <summary>DynamoDB JSON of this value, for diagnostics.</summary>
    public override string ToString() => DynamoJson.Serialize(this);
}

/// <summary>Equality of whole items (attribute name to value maps).</summary>
public static class ItemEquality
{
    /// <summary>True when both items hold the same attribute names with equal values.</summary>
    public static bool Equal(IReadOnlyDictionary<string, AttributeValue> a, IReadOnlyDictionary<string, AttributeValue> b)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        if (a.Count != b.Count) return false;
        foreach (var (name, value) in a)
        {
            if (!b.TryGetValue(name, out var other) || !value.Equals(other)) return false;
        }
        return true;
    }
}
