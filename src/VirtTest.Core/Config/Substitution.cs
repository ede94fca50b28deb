using System.Text;

namespace VirtTest.Core.Config;

/// <summary>
/// <c>${key}</c> substitution in values, as the reference does it: whatever stands between
/// <c>${</c> and the next <c>}</c> (at least one character) is looked up as a key, exactly as
/// written, so <c>${mem-path_plug1}</c> and <c>${x86-64-march}</c> work. The first reference that
/// names no key (<c>${1}</c>, <c>${ key }</c>) stops substitution: it and the rest of the value stay
/// as written. Keys renamed by <c>suffix</c> are looked up by their folded names.
/// </summary>
/// <remarks>
/// A value's references are found once (where they stand and which keys they name, hashed), and
/// the last result is kept with the values it was made from: the same statement applied to
/// dicts that hold the same values for its keys (the next leaves of a test, as a rule) gives
/// that string again instead of building a new one. Statements are shared between threads: the
/// last result is an immutable record, replaced whole.
/// </remarks>
internal sealed class Substitution
{
    private readonly string _value;
    private readonly Reference[] _references;
    private Result? _last;

    private readonly record struct Reference(int Open, int Close, string Key, int Hash);

    /// <summary>A result and the values it was made from (the first <c>Values.Length</c> references resolved, the rest left as written).</summary>
    private sealed record Result(string[] Values, string Text);

    /// <summary>The substitution of <paramref name="value"/> (its references found now).</summary>
    public Substitution(string value)
    {
        _value = value;
        // Not a List: over this file's struct it would be compiled at run time (see ArrayGrowth).
        var references = new Reference[2];
        var count = 0;
        var open = value.IndexOf("${", StringComparison.Ordinal);
        while (open >= 0 && open + 3 <= value.Length)
        {
            var close = value.IndexOf('}', open + 3);
            if (close < 0) break;
            var key = value.Substring(open + 2, close - open - 2);
            if (count == references.Length) references = ArrayGrowth.Doubled(references, count);
            references[count++] = new Reference(open, close, key, OrderedStore.Hash(key));
            open = value.IndexOf("${", close + 1, StringComparison.Ordinal);
        }
        _references = new Reference[count];
        Array.Copy(references, _references, count);
    }

    [ThreadStatic] private static string[]? Scratch;
    [ThreadStatic] private static StringBuilder? Builder;

    public string Apply(WorkingDict d)
    {
        var references = _references;
        var values = Scratch is { } s && s.Length >= references.Length ? s : Scratch = new string[Math.Max(8, references.Length)];
        var resolved = 0;
        while (resolved < references.Length && d.TryGetFoldedValue(references[resolved].Key, references[resolved].Hash, out var v))
            values[resolved++] = v;
        if (resolved == 0) return _value;
        if (Volatile.Read(ref _last) is { } last && last.Values.Length == resolved)
        {
            var same = true;
            for (var i = 0; i < resolved && same; i++) same = ReferenceEquals(last.Values[i], values[i]);
            if (same) return last.Text;
        }
        var sb = Builder ??= new StringBuilder();
        sb.Clear();
        var start = 0;
        for (var i = 0; i < resolved; i++)
        {
            sb.Append(_value, start, references[i].Open - start).Append(values[i]);
            start = references[i].Close + 1;
        }
        sb.Append(_value, start, _value.Length - start);
        var text = sb.ToString();
        if (sb.Capacity > 4096) Builder = null;
        Volatile.Write(ref _last, new Result(values.AsSpan(0, resolved).ToArray(), text));
        Array.Clear(values, 0, resolved);
        return text;
    }
}
