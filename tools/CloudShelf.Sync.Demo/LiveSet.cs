using Amazon.DynamoDBv2.Model;
using Bogus;

namespace CloudShelf.Sync.Demo;

/// <summary>The items of one table that the traffic may touch, with O(1) random pick and removal.</summary>
internal sealed class LiveSet
{
    private readonly List<Dictionary<string, AttributeValue>> _items = [];
    private readonly Dictionary<string, int> _index = new(StringComparer.Ordinal);

    public LiveSet(IEnumerable<Dictionary<string, AttributeValue>> items, string keyAttribute, IReadOnlySet<string> reserved)
    {
        KeyAttribute = keyAttribute;
        foreach (var item in items)
        {
            if (!reserved.Contains(item[keyAttribute].S)) Add(item);
        }
    }

    public string KeyAttribute { get; }

    public int Count => _items.Count;

    public void Add(Dictionary<string, AttributeValue> item)
    {
        var key = item[KeyAttribute].S;
        if (_index.TryGetValue(key, out var at))
        {
            _items[at] = item;
            return;
        }
        _index[key] = _items.Count;
        _items.Add(item);
    }

    public Dictionary<string, AttributeValue> Random(Faker faker) => _items[faker.Random.Int(0, _items.Count - 1)];

    public List<Dictionary<string, AttributeValue>> Sample(Faker faker, int count) =>
        Enumerable.Range(0, Math.Min(count, _items.Count)).Select(_ => Random(faker)).DistinctBy(i => i[KeyAttribute].S).ToList();

    public Dictionary<string, AttributeValue> TakeRandom(Faker faker)
    {
        var at = faker.Random.Int(0, _items.Count - 1);
        var item = _items[at];
        var last = _items[^1];
        _items[at] = last;
        _index[last[KeyAttribute].S] = at;
        _items.RemoveAt(_items.Count - 1);
        _index.Remove(item[KeyAttribute].S);
        return item;
    }
}
