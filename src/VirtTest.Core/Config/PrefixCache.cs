using System.Runtime.CompilerServices;

namespace VirtTest.Core.Config;

/// <summary>
/// Builds the leaf dicts of one expansion, reusing work between leaves. A leaf's dict is the
/// three reserved keys followed by its statements applied in order, and many leaves start with
/// the same statements (the blocks parsed first come first). The dict reached after such a
/// common run is kept in a trie keyed by the statements, so that later leaves start from a copy
/// of it instead of from scratch.
/// </summary>
/// <remarks>
/// A kept dict is valid for any leaf with the same statements because statements never look at
/// the reserved keys' values, except through a substitution that names them; a statement that
/// does so ends the reusable run (see <see cref="ParamOp.ReadsReservedKeys"/>). Memory stays
/// small and bounded: the trie only grows a few statements at a time towards a point that would
/// save a fair amount of work, a dict is kept only at such a point once a second leaf reaches it,
/// and the whole trie is dropped when it gets too big.
/// </remarks>
internal sealed class PrefixCache
{
    /// <summary>A kept dict must save at least this many key writes over the nearest one above.</summary>
    private const int MinSavedWrites = 16;
    /// <summary>How many statements past the known ones the trie may grow by at once.</summary>
    private const int Lookahead = 4;
    private const int MaxNodes = 1 << 16;
    /// <summary>A kept dict held as a difference (see <see cref="OrderedStore.Freeze"/>) is made flat once this many dicts came from it.</summary>
    private const int FlattenAfterUses = 8;
    private const long MaxKeptSlots = 1 << 19;

    private readonly bool _keepDuplicates;
    private TrieNode _root = new(null);
    private int _nodes;
    private long _keptSlots;
    private int _capacity = 16;   // slots of the largest dict so far: fresh dicts start that big

    public PrefixCache(bool keepDuplicates) => _keepDuplicates = keepDuplicates;

    private sealed class TrieNode
    {
        public TrieNode(ContentItem? item) => Item = item;

        public readonly ContentItem? Item;
        public WorkingDict? State;
        /// <summary>The slots the last dict built from <see cref="State"/> ended with: the next one starts with room for as many.</summary>
        public int FinalSlots;
        /// <summary>How many dicts were made from <see cref="State"/>.</summary>
        public int Uses;
        private TrieNode? _first;
        private TrieNode? _next;
        private Dictionary<ContentItem, TrieNode>? _map;
        private int _children;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public TrieNode? Find(ContentItem item)
        {
            if (_map is not null) return _map.TryGetValue(item, out var n) ? n : null;
            for (var c = _first; c is not null; c = c._next)
            {
                if (ReferenceEquals(c.Item, item)) return c;
            }
            return null;
        }

        public TrieNode Add(ContentItem item)
        {
            var node = new TrieNode(item);
            if (_map is not null)
            {
                _map.Add(item, node);
                return node;
            }
            node._next = _first;
            _first = node;
            if (++_children > 8)
            {
                _map = new Dictionary<ContentItem, TrieNode>(ReferenceEqualityComparer.Instance);
                for (var c = _first; c is not null; c = c._next) _map.Add(c.Item!, c);
                _first = null;
            }
            return node;
        }
    }

    /// <summary>The dict of a leaf: reserved keys, then the operations of <paramref name="content"/> in order.</summary>
    public WorkingDict Build(List<ContentItem> content, string name, IReadOnlyList<string> dep, string shortName)
    {
        // Follow the trie as far as it knows this leaf's statements.
        var node = _root;
        TrieNode? kept = null;
        var keptEnd = 0;
        var end = 0;
        // A span over the list: the statements do not change while the dict is built, and the
        // list's indexer is a call per statement into the framework from precompiled code.
        var items = System.Runtime.InteropServices.CollectionsMarshal.AsSpan(content);
        var n = items.Length;
        var blocked = false;
        while (end < n)
        {
            var item = items[end];
            if (item.Op is not { } op)
            {
                end++;
                continue;
            }
            if (op.ReadsReservedKeys)
            {
                blocked = true;
                break;
            }
            var child = node.Find(item);
            if (child is null) break;
            node = child;
            end++;
            if (child.State is not null)
            {
                kept = child;
                keptEnd = end;
            }
        }

        WorkingDict d;
        if (kept is null)
        {
            d = new WorkingDict(FreshCapacity(items)) { KeepDuplicates = _keepDuplicates };
            d.InitReserved(name, dep, shortName);
        }
        else
        {
            if (++kept.Uses == FlattenAfterUses && kept.State!.IsFrozenDifference)
            {
                // Much used: a flat copy once instead of copying the difference every time.
                var flat = kept.State.FrozenFlat();
                _keptSlots += flat.HeldSlots - kept.State.HeldSlots;
                kept.State = flat;
            }
            // Room for as many own keys as the last dict made from it ended with, and a quarter more:
            // the next leaf may be a test with more keys, and growing on the way copies them all.
            d = kept.State!.CopyWithReserved(name, dep, shortName, Math.Max(4, kept.FinalSlots - kept.State!.RawCount) * 5 / 4 + 4);
        }

        // Replay the known statements after the kept dict; keep the result if it saves enough.
        var writes = 0;
        for (var i = keptEnd; i < end; i++)
        {
            var item = items[i];
            if (item.Op is not { } op) continue;
            writes += op.Writes(d);
            op.Apply(d);
        }
        if (node != _root && node != kept && writes >= MinSavedWrites)
        {
            var frozen = d.Frozen();
            if (_keptSlots + frozen.HeldSlots > MaxKeptSlots)
            {
                Reset();
                blocked = true;
            }
            else
            {
                node.State = frozen;
                node.FinalSlots = d.RawCount;
                _keptSlots += frozen.HeldSlots;
                writes = 0;
            }
        }

        // Extend the trie only towards a point worth keeping a dict at, and only a few statements
        // ahead: a path through the cheap statements every leaf has of its own would only grow.
        if (end < n && !blocked)
        {
            var ahead = 0;
            var last = -1;
            for (var i = end; i < n && ahead < Lookahead; i++)
            {
                var item = items[i];
                if (item.Op is not { } op) continue;
                if (op.ReadsReservedKeys) break;
                ahead++;
                writes += op.Writes(d);
                if (writes >= MinSavedWrites)
                {
                    last = i;
                    break;
                }
            }
            if (last >= 0)
            {
                if (_nodes + ahead > MaxNodes)
                {
                    Reset();
                }
                else
                {
                    for (var i = end; i <= last; i++)
                    {
                        var item = items[i];
                        if (item.Op is null) continue;
                        node = node.Add(item);
                        _nodes++;
                    }
                }
            }
        }
        for (var i = end; i < n; i++)
        {
            var item = items[i];
            item.Op?.Apply(d);
        }
        if (d.RawCount > _capacity) _capacity = d.RawCount;
        if (kept is not null) kept.FinalSlots = d.RawCount;
        return d;
    }

    /// <summary>
    /// Room for a dict built from nothing: as many keys as the largest dict so far, or, until
    /// there is one, as the statements write (an upper bound; growing step by step to the
    /// hundreds of keys of a real tree's first dict copied them all several times).
    /// </summary>
    private int FreshCapacity(ReadOnlySpan<ContentItem> items)
    {
        if (_capacity > 16) return _capacity;
        var keys = 3;
        foreach (var item in items)
        {
            if (item.Op is { } op) keys += op.KeysWritten;
        }
        return Math.Max(_capacity, Math.Min(keys, 1 << 16));
    }

    private void Reset()
    {
        _root = new TrieNode(null);
        _nodes = 0;
        _keptSlots = 0;
    }
}
