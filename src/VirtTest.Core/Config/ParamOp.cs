using System.Runtime.CompilerServices;
using System.Text.RegularExpressions;

namespace VirtTest.Core.Config;

/// <summary>The operators of an assignment statement.</summary>
internal enum AssignKind { Set, Append, Prepend, LazySet, RegexSet, RegexAppend, RegexPrepend }

/// <summary>A statement that changes the dict being built: assignments, <c>del</c>, <c>suffix</c>.</summary>
internal abstract class ParamOp : ContentItem
{
    private readonly int _writes;

    /// <param name="file">The file the statement was written in.</param>
    /// <param name="line">Its line.</param>
    /// <param name="writes">How many keys the operation writes, or -1 when it visits every key.</param>
    /// <param name="readsReservedKeys">See <see cref="ReadsReservedKeys"/>.</param>
    protected ParamOp(string file, int line, int writes, bool readsReservedKeys) : base(file, line, isFilter: false)
    {
        _writes = writes;
        ReadsReservedKeys = readsReservedKeys;
    }

    public abstract void Apply(WorkingDict d);

    /// <summary>Roughly how many keys applying the operation to <paramref name="d"/> writes or visits.</summary>
    public int Writes(WorkingDict d) => _writes >= 0 ? _writes : d.Count;

    /// <summary>How many keys the operation writes (0 for one that only visits the keys there are).</summary>
    public int KeysWritten => Math.Max(_writes, 0);

    /// <summary>
    /// Whether the result may depend on the values of <c>name</c>, <c>shortname</c> or <c>dep</c>
    /// (a substitution that names one of them); other operations skip those keys.
    /// </summary>
    public bool ReadsReservedKeys { get; }

    protected KeyMatcher KeyRegex(string pattern)
    {
        // Python's re.match(pattern + "$"): anchored at the start, '$' bound to the last branch.
        if (KeyPattern.TryCreate(pattern) is { } simple) return new KeyMatcher(simple);
        try
        {
            return new KeyMatcher(new Regex(@"\A(?:" + pattern + "$)", RegexOptions.CultureInvariant));
        }
        catch (ArgumentException e)
        {
            throw new ConfigError(ConfigErrorKind.Expansion, "invalid key regular expression '" + pattern + "': " + e.Message,
                File, Line, expected: "a regular expression over key names", inner: e);
        }
    }
}

/// <summary>
/// A key regex with its answers remembered: the same few hundred keys reach it in every leaf,
/// and a lookup is far cheaper than running the regex again.
/// </summary>
/// <remarks>
/// The answers sit in an open-addressing table probed with the hash the dict already stores for
/// each key (<see cref="OrderedStore.HashAt"/>): most keys are the parser's own string instances,
/// so a probe usually ends with a reference comparison, without hashing or comparing text.
/// </remarks>
internal sealed class KeyMatcher
{
    private const int MaxRemembered = 1 << 16;
    // The pattern or the regex, called directly: a delegate here made the runtime's profiling
    // tier call a helper on every match while the method waited to be optimized (measured: a
    // sixth of a default run's time).
    private readonly KeyPattern? _pattern;
    private readonly Regex? _regex;
    private readonly KeyTable<bool> _answers = new();
    private const int MaxSharedRemembered = 256;
    private Dictionary<FrozenStore, int[]>? _sharedMatches;
    private FrozenStore? _lastShared;
    private int[]? _lastSharedMatches;

    private readonly bool _remember;

    /// <summary>A matcher of whole keys (suffixed keys as their parts joined) by a simple pattern; answers kept unless it is cheaper than a lookup.</summary>
    public KeyMatcher(KeyPattern pattern)
    {
        _pattern = pattern;
        _remember = !pattern.IsCheap;
    }

    /// <summary>A matcher of whole keys by a regex (answers kept).</summary>
    public KeyMatcher(Regex regex)
    {
        _regex = regex;
        _remember = true;
    }

    private bool Match(string flatKey) => _pattern is not null ? _pattern.IsMatch(flatKey) : _regex!.IsMatch(flatKey);

    /// <summary>
    /// Whether the key (a suffixed key as its parts joined) matches; <paramref name="hash"/> is
    /// <see cref="OrderedStore.Hash(string)"/> of the key. Call inside <c>lock (matcher)</c>.
    /// </summary>
    public bool IsMatch(string key, int hash)
    {
        // Suffixed keys are remembered even for cheap patterns: matching one needs its parts
        // joined into a new string, and the same suffixed keys come back in every leaf.
        if (!_remember && !WorkingDict.IsTuple(key)) return Match(key);
        if (_answers.TryGet(key, hash, out var yes)) return yes;
        yes = Match(WorkingDict.Flatten(key));
        if (_answers.Count >= MaxRemembered) _answers.Clear();
        _answers.Add(key, hash, yes);
        return yes;
    }

    /// <summary>
    /// The slots of <paramref name="shared"/> whose keys match (reserved keys left out), worked
    /// out once per kept dict: every leaf built on it has the same keys there. Call inside <c>lock (matcher)</c>.
    /// </summary>
    public int[] SharedMatches(FrozenStore shared)
    {
        if (ReferenceEquals(shared, _lastShared)) return _lastSharedMatches!;
        _sharedMatches ??= new Dictionary<FrozenStore, int[]>(ReferenceEqualityComparer.Instance);
        if (!_sharedMatches.TryGetValue(shared, out var matches))
        {
            var list = new List<int>();
            var store = shared.Store;
            for (var slot = 0; slot < store.SlotCount; slot++)
            {
                if (store.KeyAt(slot) is { } key && !WorkingDict.IsReserved(key) && IsMatch(key, store.HashAt(slot))) list.Add(slot);
            }
            matches = list.ToArray();
            // Kept dicts come and go with the prefix cache: remember a bounded number of them.
            if (_sharedMatches.Count >= MaxSharedRemembered) _sharedMatches.Clear();
            _sharedMatches[shared] = matches;
        }
        _lastShared = shared;
        _lastSharedMatches = matches;
        return matches;
    }
}

/// <summary><c>key = v</c>, <c>+=</c>, <c>&lt;=</c>, <c>~=</c>, and the regex forms <c>?=</c>, <c>?+=</c>, <c>?&lt;=</c>.</summary>
internal sealed class AssignOp : ParamOp
{
    private KeyMatcher? _regex;

    private readonly bool _reserved;
    private readonly int _hash;
    private readonly bool _hasSubstitution;
    private Substitution? _substitution;   // made on the first application (the parse need not find the references)
    private readonly bool _plainName;      // not a tuple key
    private readonly bool _postfixName;

    public AssignOp(string file, int line, AssignKind kind, string name, string value)
        : base(file, line, kind is AssignKind.RegexSet or AssignKind.RegexAppend or AssignKind.RegexPrepend ? -1 : 1,
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


    public override void Apply(WorkingDict d)
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
                ApplyRegex(d);
                break;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private string Substituted(WorkingDict d) => _hasSubstitution ? (_substitution ??= new Substitution(Value)).Apply(d) : Value;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void Store(WorkingDict d, string value)
    {
        if (_plainName) d.SetPlain(Name, _hash, value, _postfixName);
        else d.Set(Name, _hash, value);
    }

    private void ApplyRegex(WorkingDict d)
    {
        var matcher = _regex ??= KeyRegex(Name);
        var value = Substituted(d);
        // Only values change: the slots stay where they are while we walk them.
        lock (matcher)
        {
            var start = 0;
            if (d.Shared is { } shared)
            {
                foreach (var slot in matcher.SharedMatches(shared))
                {
                    if (d.KeyAt(slot) is not null) Update(d, slot, value);
                }
                start = shared.SlotCount;
            }
            for (var slot = start; slot < d.RawCount; slot++)
            {
                if (d.KeyAt(slot) is { } key && !WorkingDict.IsReserved(key) && matcher.IsMatch(key, d.HashAt(slot))) Update(d, slot, value);
            }
        }
    }

    private void Update(WorkingDict d, int slot, string value)
    {
        var old = d.ValueAt(slot);
        d.SetValueAt(slot, Kind switch
        {
            AssignKind.RegexSet => value,
            AssignKind.RegexAppend => old + value,
            _ => value + old,
        });
    }

    /// <summary>Applies a plain set or a same-key follow-up to a block's batch of plain assignments.</summary>
    public void ApplyToBatch(WorkingDict batch) => Apply(batch);
}

/// <summary>A run of plain <c>key = value</c> statements of one block, applied as one update.</summary>
internal sealed class BatchOp : ParamOp
{
    // Keys and values in one array, each key followed by its value: one array per batch rather
    // than two (a parse of a real tree makes tens of thousands of mostly small batches).
    private readonly string[] _entries;
    // Made on the first application: a run from the parse cache that expands a few dicts never
    // applies most batches, and their keys need not be hashed.
    private int[]? _hashes;
    // Which keys are postfix keys (_max, _min, _fixed); left null when none is, as in most batches.
    private bool[]? _postfix;

    /// <summary>The batch as the parser built it (plain keys, each once, in order).</summary>
    public BatchOp(string file, int line, WorkingDict values) : base(file, line, values.Count, readsReservedKeys: false) =>
        _entries = values.CopyEntries();

    /// <summary>A batch read back from the parse cache: distinct plain keys, each followed by its value, in order.</summary>
    public BatchOp(string file, int line, string[] entries) : base(file, line, entries.Length / 2, readsReservedKeys: false) => _entries = entries;

    public int Count => _entries.Length / 2;
    public string KeyAt(int i) => _entries[2 * i];
    public string ValueAt(int i) => _entries[2 * i + 1];

    public override void Apply(WorkingDict d)
    {
        // A batch only ever holds plain keys (never reserved ones, never tuples).
        var entries = _entries;
        var count = entries.Length / 2;
        var hashes = Volatile.Read(ref _hashes);
        if (hashes is null)
        {
            var h = new int[count];
            bool[]? p = null;
            for (var i = 0; i < count; i++)
            {
                h[i] = OrderedStore.Hash(entries[2 * i]);
                if (WorkingDict.IsPostfixKey(entries[2 * i])) (p ??= new bool[count])[i] = true;
            }
            // Ops are shared between threads: publish the postfix flags first, then the hashes
            // (a reader that sees the hashes sees the flags, or their absence, as they were made).
            Volatile.Write(ref _postfix, p);
            Volatile.Write(ref _hashes, hashes = h);
        }
        var postfix = Volatile.Read(ref _postfix);
        if (postfix is null)
        {
            for (var i = 0; i < count; i++) d.SetPlain(entries[2 * i], hashes[i], entries[2 * i + 1], postfix: false);
        }
        else
        {
            for (var i = 0; i < count; i++) d.SetPlain(entries[2 * i], hashes[i], entries[2 * i + 1], postfix[i]);
        }
    }
}

/// <summary>
/// <c>del key</c>: removes the keys the name matches (as a regex anchored at the start, like the
/// reference's <c>re.match</c>); a key renamed by <c>suffix</c> is matched as its parts joined.
/// </summary>
internal sealed class DelOp : ParamOp
{
    private KeyMatcher? _regex;

    public DelOp(string file, int line, string name) : base(file, line, -1, readsReservedKeys: false) => Name = name;

    public string Name { get; }

    public override void Apply(WorkingDict d)
    {
        var matcher = _regex ??= KeyRegex(Name);
        // Removing leaves a dead slot behind: the slots keep their places while we walk them.
        lock (matcher)
        {
            var start = 0;
            if (d.Shared is { } shared)
            {
                foreach (var slot in matcher.SharedMatches(shared))
                {
                    if (d.KeyAt(slot) is not null) d.RemoveSlot(slot);
                }
                start = shared.SlotCount;
            }
            for (var slot = start; slot < d.RawCount; slot++)
            {
                if (d.KeyAt(slot) is { } key && !WorkingDict.IsReserved(key) && matcher.IsMatch(key, d.HashAt(slot))) d.RemoveSlot(slot);
            }
        }
    }
}

/// <summary><c>suffix _x</c>: every key of the dict so far gets the suffix (applied last in its block).</summary>
internal sealed class SuffixOp : ParamOp
{
    public SuffixOp(string file, int line, string suffix) : base(file, line, -1, readsReservedKeys: false) => Suffix = suffix;

    public string Suffix { get; }

    // The suffixed name of each key met before, with its hash: the same keys reach the statement
    // in every leaf, and one string instance per suffixed key keeps later lookups by reference.
    private readonly KeyTable<Renamed> _renamed = new();

    /// <summary>A suffixed name and its hash (a struct of this assembly: a tuple's generic code is compiled at run time, this is precompiled).</summary>
    private readonly record struct Renamed(string Key, int Hash);

    public override void Apply(WorkingDict d)
    {
        // Every key but the reserved ones comes back renamed, after them: the result is built in
        // a flat store of its own, sized for it. (Renamed in place, a leaf over a kept dict's
        // storage removed each shared key, paying for a private copy of the shared values, and
        // grew its own part twice over; a sixth of a default run's allocation went here.)
        ref readonly var old = ref d.Store;
        var slots = old.SlotCount;
        var live = old.Live;
        var fresh = OrderedStore.Create(live + Math.Max(8, live / 8));
        for (var slot = 0; slot < slots; slot++)
        {
            if (old.KeyAt(slot) is { } key && WorkingDict.IsReserved(key)) fresh.Add(key, old.HashAt(slot), old.ValueAt(slot)!);
        }
        // The reference renames one key at a time (remove it, set the new name), so a new name
        // that is a key not renamed yet overwrites that key's value, which then moves on under
        // its own new name; the values so carried forward, by slot.
        Dictionary<int, string>? carried = null;
        var tuples = 0;
        lock (_renamed)
        {
            // Every key of the dict is met here: the first dict sizes the table once (later ones
            // bring mostly the same keys, and a new one grows it as usual).
            _renamed.EnsureCapacity(Math.Max(_renamed.Count, live));
            for (var slot = 0; slot < slots; slot++)
            {
                if (old.KeyAt(slot) is not { } key || WorkingDict.IsReserved(key)) continue;
                var hash = old.HashAt(slot);
                var value = carried is not null && carried.Remove(slot, out var c) ? c : old.ValueAt(slot)!;
                if (!_renamed.TryGet(key, hash, out var renamed))
                {
                    var name = key + WorkingDict.TupleSeparator + Suffix;
                    renamed = new Renamed(name, OrderedStore.Hash(name));
                    _renamed.Add(key, hash, renamed);
                }
                // Never in the new store yet: distinct keys get distinct new names, and a reserved
                // key is never a suffixed one.
                var later = old.Find(renamed.Key, renamed.Hash);
                if (later > slot)
                {
                    (carried ??= new Dictionary<int, string>())[later] = value;
                    continue;
                }
                fresh.Add(renamed.Key, renamed.Hash, value);
                tuples++;
            }
        }
        d.ReplaceStore(fresh, tuples);
    }
}
