using System.Runtime.CompilerServices;

namespace VirtTest.Core.Config;

/// <summary>
/// A growing map from key names to values, probed with the hash the dicts already store for each
/// key (<see cref="OrderedStore.HashAt"/>): most keys are the parser's own string instances, so a
/// probe usually ends with a reference comparison, without hashing or comparing text. Not thread-safe.
/// </summary>
internal sealed class KeyTable<T>
{
    private string?[] _keys = new string?[64];
    private int[] _hashes = new int[64];
    private T[] _values = new T[64];
    private int _count;

    public int Count => _count;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool TryGet(string key, int hash, out T value)
    {
        var keys = _keys;
        var mask = keys.Length - 1;
        var i = hash & mask;
        while (keys[i] is { } k)
        {
            if (_hashes[i] == hash && (ReferenceEquals(k, key) || k == key))
            {
                value = _values[i];
                return true;
            }
            i = (i + 1) & mask;
        }
        value = default!;
        return false;
    }

    /// <summary>The value of a key, added as default(T) first when missing (<paramref name="added"/>).</summary>
    public ref T FindOrAdd(string key, int hash, out bool added)
    {
        if ((_count + 1) * 2 > _keys.Length) Grow();
        var keys = _keys;
        var mask = keys.Length - 1;
        var i = hash & mask;
        while (keys[i] is { } k)
        {
            if (_hashes[i] == hash && (ReferenceEquals(k, key) || k == key))
            {
                added = false;
                return ref _values[i];
            }
            i = (i + 1) & mask;
        }
        keys[i] = key;
        _hashes[i] = hash;
        _values[i] = default!;
        _count++;
        added = true;
        return ref _values[i];
    }

    /// <summary>Adds a key that is not there.</summary>
    public void Add(string key, int hash, T value)
    {
        if ((_count + 1) * 2 > _keys.Length) Grow();
        Insert(_keys, _hashes, _values, key, hash, value);
        _count++;
    }

    /// <summary>
    /// Makes room for <paramref name="count"/> keys in all at once: a table about to meet a dict's
    /// hundreds of keys would otherwise double its way there, allocating twice the final size.
    /// </summary>
    public void EnsureCapacity(int count)
    {
        var size = _keys.Length;
        while (count * 2 > size) size *= 2;
        if (size == _keys.Length) return;
        var keys = new string?[size];
        var hashes = new int[size];
        var values = new T[size];
        for (var j = 0; j < _keys.Length; j++)
        {
            if (_keys[j] is { } k) Insert(keys, hashes, values, k, _hashes[j], _values[j]);
        }
        _keys = keys;
        _hashes = hashes;
        _values = values;
    }

    public void Clear()
    {
        Array.Clear(_keys);
        Array.Clear(_values);
        _count = 0;
    }

    private static void Insert(string?[] keys, int[] hashes, T[] values, string key, int hash, T value)
    {
        var mask = keys.Length - 1;
        var i = hash & mask;
        while (keys[i] is not null) i = (i + 1) & mask;
        keys[i] = key;
        hashes[i] = hash;
        values[i] = value;
    }

    private void Grow() => EnsureCapacity(_keys.Length);
}
