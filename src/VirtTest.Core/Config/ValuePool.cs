using System.Runtime.CompilerServices;

namespace VirtTest.Core.Config;

/// <summary>
/// One string for the values a parse meets again and again (<c>yes</c>, <c>600</c>, the same
/// command in hundreds of tests), found from the value's characters without cutting them out
/// first: a real-tree-shaped tree has 42,453 assignments of 1,634 distinct values, whose copies
/// were a fifth of what its parse allocated.
/// </summary>
/// <remarks>
/// A fixed table, each slot keeping the last value that fell into it, rather than a set that
/// grows: a tree of mostly distinct values then costs a lookup per value and the table's
/// constant 48 KiB, never a second copy of its values; a collision only means a copy more.
/// </remarks>
internal sealed class ValuePool
{
    private const int Slots = 4096;
    private const int MaxPooledLength = 256;   // longer values are rarely repeated, and costlier to compare

    // Made on the first value: a parser that only restores a tree from the cache never needs them.
    private string?[]? _values;
    private int[]? _hashes;

    /// <summary>The value as a string: the one met before when there is one, else a new one, remembered.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public string Get(ReadOnlySpan<char> value)
    {
        if (value.Length == 0) return "";
        if (value.Length > MaxPooledLength) return value.ToString();
        return Lookup(value);
    }

    /// <summary>The string met before with the same text, or <paramref name="value"/> itself, remembered.</summary>
    public string Get(string value) =>
        value.Length == 0 ? "" : value.Length > MaxPooledLength ? value : Lookup(value.AsSpan(), value);

    private string Lookup(ReadOnlySpan<char> value, string? asString = null)
    {
        var values = _values ??= new string?[Slots];
        var hashes = _hashes ??= new int[Slots];
        var hash = string.GetHashCode(value);
        var slot = hash & (Slots - 1);
        if (hashes[slot] == hash && values[slot] is { } known && value.SequenceEqual(known)) return known;
        var made = asString ?? value.ToString();
        values[slot] = made;
        hashes[slot] = hash;
        return made;
    }
}
