namespace SrTrain.Interop;

/// <summary>A pickled dict in insertion order (Python dicts and OrderedDicts both keep it, and state-dict order is
/// the order a module registered its parameters).</summary>
internal sealed class PyDict
{
    readonly Dictionary<object, int> _index = new();

    public List<KeyValuePair<object, object?>> Items { get; } = new();

    public void Set(object? key, object? value)
    {
        if (key is null) throw new InvalidDataException("a dict key is None");
        if (_index.TryGetValue(key, out int i)) { Items[i] = new(key, value); return; }
        _index[key] = Items.Count;
        Items.Add(new(key, value));
    }

    public object? Get(string key) => Items.FirstOrDefault(kv => kv.Key is string s && s == key).Value;
}
