using System.Runtime.CompilerServices;
using System.Text.RegularExpressions;

namespace VirtTest.Core.Config;

/// <summary>The operators of an assignment statement.</summary>
internal enum AssignKind { Set, Append, Prepend, LazySet, RegexSet, RegexAppend, RegexPrepend }

/// <summary>A statement that changes the dict being built: assignments, <c>del</c>, <c>suffix</c>.</summary>
internal abstract class ParamOp
{
    private readonly int _writes;

    /// <param name="writes">How many keys the operation writes, or -1 when it visits every key.</param>
    /// <param name="readsReservedKeys">See <see cref="ReadsReservedKeys"/>.</param>
    protected ParamOp(int writes, bool readsReservedKeys)
    {
        _writes = writes;
        ReadsReservedKeys = readsReservedKeys;
    }

    public abstract void Apply(WorkingDict d, ContentItem where);

    /// <summary>Roughly how many keys applying the operation to <paramref name="d"/> writes or visits.</summary>
    public int Writes(WorkingDict d) => _writes >= 0 ? _writes : d.Count;

    /// <summary>
    /// Whether the result may depend on the values of <c>name</c>, <c>shortname</c> or <c>dep</c>
    /// (a substitution that names one of them); other operations skip those keys.
    /// </summary>
    public bool ReadsReservedKeys { get; }

    protected static KeyMatcher KeyRegex(string pattern, ContentItem where)
    {
        // Python's re.match(pattern + "$"): anchored at the start, '$' bound to the last branch.
        try
        {
            return new KeyMatcher(new Regex(@"\A(?:" + pattern + "$)", RegexOptions.CultureInvariant));
        }
        catch (ArgumentException e)
        {
            throw new ConfigError(ConfigErrorKind.Expansion, "invalid key regular expression '" + pattern + "': " + e.Message,
                where.File, where.Line, expected: "a regular expression over key names", inner: e);
        }
    }
}

/// <summary>
/// A key regex with its answers remembered: the same few hundred keys reach it in every leaf,
/// and a lookup is far cheaper than running the regex again.
/// </summary>
internal sealed class KeyMatcher
{
    private const int MaxRemembered = 1 << 16;
    private readonly Regex _regex;
    // Most keys are the parser's own string instances, shared by every dict: found by reference
    // first; keys made while expanding (suffixed ones) by their text.
    private readonly Dictionary<string, bool> _byInstance = new(ReferenceEqualityComparer.Instance);
    private readonly Dictionary<string, bool> _byText = new(StringComparer.Ordinal);

    public KeyMatcher(Regex regex) => _regex = regex;

    /// <summary>Whether the key (a suffixed key as its parts joined) matches. Call inside <c>lock (matcher)</c>.</summary>
    public bool IsMatch(string key)
    {
        if (_byInstance.TryGetValue(key, out var yes)) return yes;
        if (!_byText.TryGetValue(key, out yes))
        {
            yes = _regex.IsMatch(WorkingDict.Flatten(key));
            if (_byText.Count >= MaxRemembered) _byText.Clear();
            _byText[key] = yes;
        }
        if (_byInstance.Count >= MaxRemembered) _byInstance.Clear();
        _byInstance[key] = yes;
        return yes;
    }
}

/// <summary><c>key = v</c>, <c>+=</c>, <c>&lt;=</c>, <c>~=</c>, and the regex forms <c>?=</c>, <c>?+=</c>, <c>?&lt;=</c>.</summary>
internal sealed class AssignOp : ParamOp
{
    private KeyMatcher? _regex;

    private readonly bool _reserved;
    private readonly int _hash;
    private readonly bool _hasSubstitution;
    private readonly bool _plainName;      // not a tuple key
    private readonly bool _postfixName;

    public AssignOp(AssignKind kind, string name, string value)
        : base(kind is AssignKind.RegexSet or AssignKind.RegexAppend or AssignKind.RegexPrepend ? -1 : 1,
            value.IndexOf('$') >= 0 && (value.Contains("name", StringComparison.Ordinal) || value.Contains("dep", StringComparison.Ordinal)))
    {
        Kind = kind;
        Name = name;
        Value = value;
        _reserved = WorkingDict.IsReserved(name);
        _hash = OrderedStore.Hash(name);
        _hasSubstitution = value.IndexOf('$') >= 0;
        _plainName = !WorkingDict.IsTuple(name);
        _postfixName = WorkingDict.IsPostfixKey(name);
    }

    public AssignKind Kind { get; }
    public string Name { get; }
    public string Value { get; }
    public bool HasSubstitution => Value.IndexOf('$') >= 0;


    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public override void Apply(WorkingDict d, ContentItem where)
    {
        switch (Kind)
        {
            case AssignKind.Set:
                if (!_reserved) Store(d, Substituted(d));
                break;
            case AssignKind.Append:
                if (!_reserved)
                {
                    var v = Substituted(d);
                    Store(d, (d.TryGetValue(Name, _hash, out var old) ? old : "") + v);
                }
                break;
            case AssignKind.Prepend:
                if (!_reserved)
                {
                    var v = Substituted(d);
                    Store(d, v + (d.TryGetValue(Name, _hash, out var old) ? old : ""));
                }
                break;
            case AssignKind.LazySet:
                if (!_reserved && !d.ContainsKey(Name, _hash)) Store(d, Substituted(d));
                break;
            default:
                ApplyRegex(d, where);
                break;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private string Substituted(WorkingDict d) => _hasSubstitution ? Substitution.Apply(Value, d) : Value;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void Store(WorkingDict d, string value)
    {
        if (_plainName) d.SetPlain(Name, _hash, value, _postfixName);
        else d.Set(Name, _hash, value);
    }

    private void ApplyRegex(WorkingDict d, ContentItem where)
    {
        _regex ??= KeyRegex(Name, where);
        var value = Substitution.Apply(Value, d);
        // Only values change: the slots stay where they are while we walk them.
        lock (_regex)
        for (var slot = 0; slot < d.RawCount; slot++)
        {
            if (d.KeyAt(slot) is not { } key || WorkingDict.IsReserved(key) || !_regex.IsMatch(key)) continue;
            var old = d.ValueAt(slot);
            d.SetValueAt(slot, Kind switch
            {
                AssignKind.RegexSet => value,
                AssignKind.RegexAppend => old + value,
                _ => value + old,
            });
        }
    }

    /// <summary>Applies a plain set or a same-key follow-up to a block's batch of plain assignments.</summary>
    public void ApplyToBatch(WorkingDict batch, ContentItem where) => Apply(batch, where);
}

/// <summary>A run of plain <c>key = value</c> statements of one block, applied as one update.</summary>
internal sealed class BatchOp : ParamOp
{
    private Entries? _entries;

    private sealed class Entries
    {
        public Entries(WorkingDict values)
        {
            var n = values.Count;
            Keys = new string[n];
            Hashes = new int[n];
            Values = new string[n];
            Postfix = new bool[n];
            var i = 0;
            foreach (var (k, v) in values.Entries())
            {
                Keys[i] = k;
                Hashes[i] = OrderedStore.Hash(k);
                Values[i] = v;
                Postfix[i] = WorkingDict.IsPostfixKey(k);
                i++;
            }
        }

        public readonly string[] Keys;
        public readonly int[] Hashes;
        public readonly string[] Values;
        public readonly bool[] Postfix;
    }

    public BatchOp(WorkingDict values) : base(values.Count, readsReservedKeys: false) => Values = values;

    /// <summary>The batch as the parser built it; it does not change once the op exists.</summary>
    public WorkingDict Values { get; }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public override void Apply(WorkingDict d, ContentItem where)
    {
        // A batch only ever holds plain keys (never reserved ones, never tuples).
        var e = _entries ??= new Entries(Values);
        var keys = e.Keys;
        var hashes = e.Hashes;
        var values = e.Values;
        var postfix = e.Postfix;
        for (var i = 0; i < keys.Length; i++) d.SetPlain(keys[i], hashes[i], values[i], postfix[i]);
    }
}

/// <summary>
/// <c>del key</c>: removes the keys the name matches (as a regex anchored at the start, like the
/// reference's <c>re.match</c>); a key renamed by <c>suffix</c> is matched as its parts joined.
/// </summary>
internal sealed class DelOp : ParamOp
{
    private KeyMatcher? _regex;

    public DelOp(string name) : base(-1, readsReservedKeys: false) => Name = name;

    public string Name { get; }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public override void Apply(WorkingDict d, ContentItem where)
    {
        _regex ??= KeyRegex(Name, where);
        // Removing leaves a dead slot behind: the slots keep their places while we walk them.
        lock (_regex)
        for (var slot = 0; slot < d.RawCount; slot++)
        {
            if (d.KeyAt(slot) is { } key && !WorkingDict.IsReserved(key) && _regex.IsMatch(key)) d.RemoveSlot(slot);
        }
    }
}

/// <summary><c>suffix _x</c>: every key of the dict so far gets the suffix (applied last in its block).</summary>
internal sealed class SuffixOp : ParamOp
{
    public SuffixOp(string suffix) : base(-1, readsReservedKeys: false) => Suffix = suffix;

    public string Suffix { get; }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public override void Apply(WorkingDict d, ContentItem where)
    {
        foreach (var key in d.KeySnapshot())
        {
            if (WorkingDict.IsReserved(key)) continue;
            if (!d.Remove(key, out var value)) continue;
            d[key + WorkingDict.TupleSeparator + Suffix] = value;
        }
    }
}
