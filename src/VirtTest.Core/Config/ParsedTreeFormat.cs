using System.Text;

namespace VirtTest.Core.Config;

/// <summary>
/// Writes and reads a parsed variant tree (nodes, statements, filters, labels, label sets) in a
/// compact binary form, for the parse cache. The tree is a graph (every variant of a block shares
/// the node below it), so nodes, labels and label sets are written once and referred to by number.
/// </summary>
/// <remarks>
/// Strings are written on first use and referred to by number afterwards, numbered apart in the
/// tree's own part and in each node's statement block (so that a block can be read alone, later).
/// Nothing is recursive: a tree of any depth is written and read with a flat loop. Any
/// inconsistency found while reading throws <see cref="InvalidDataException"/>.
/// </remarks>
internal static class ParsedTreeFormat
{
    private const byte OpAssign = 1, OpBatch = 2, OpDel = 3, OpSuffix = 4, OpFileMap = 5, ItemFilter = 6, ItemFilterRef = 7;

    /// <summary>Writes the tree at the end of <paramref name="output"/>.</summary>
    public static void Write(ChunkedBuffer output, Node root)
    {
        // The reader is told first how many strings and labels the tree's own part numbers, to
        // make its tables that big at once: known only once that part is written, they go into
        // room kept for them before it (each count in five bytes, as a 7-bit encoded int may be).
        var countsAt = output.Length;
        Span<byte> counts = stackalloc byte[2 * PaddedIntBytes];
        output.Write(counts);
        using var w = new BinaryWriter(output, Encoding.UTF8, leaveOpen: true);
        var main = new BlockWriter(w);
        WriteTree(w, main, root);
        w.Flush();
        WritePadded7BitInt(counts, main.StringCount);
        WritePadded7BitInt(counts.Slice(PaddedIntBytes), main.LabelCount);
        output.Patch(countsAt, counts);
    }

    internal const int PaddedIntBytes = 5;

    /// <summary>A non-negative int as a 7-bit encoded int of exactly five bytes (continuation bits on the first four).</summary>
    internal static void WritePadded7BitInt(Span<byte> into, int value)
    {
        var v = (uint)value;
        for (var i = 0; i < PaddedIntBytes - 1; i++)
        {
            into[i] = (byte)((v & 0x7F) | 0x80);
            v >>= 7;
        }
        into[PaddedIntBytes - 1] = (byte)v;
    }

    private static void WriteTree(BinaryWriter w, BlockWriter main, Node root)
    {

        // Nodes, in discovery order (iteratively), and the label sets they use, below-first.
        var nodes = new List<Node>();
        var nodeIds = new Dictionary<Node, int>(ReferenceEqualityComparer.Instance);
        var stack = new Stack<Node>();
        stack.Push(root);
        while (stack.Count > 0)
        {
            var n = stack.Pop();
            if (nodeIds.ContainsKey(n)) continue;
            nodeIds[n] = nodes.Count;
            nodes.Add(n);
            foreach (var c in n.Children) stack.Push(c);
        }
        var sets = new List<LabelSet>();
        var setIds = new Dictionary<LabelSet, int>(ReferenceEqualityComparer.Instance);
        foreach (var n in nodes)
        {
            var chain = new Stack<LabelSet>();
            for (var s = n.Labels; s is not null && !setIds.ContainsKey(s); s = s.Below) chain.Push(s);
            while (chain.Count > 0)
            {
                var s = chain.Pop();
                setIds[s] = sets.Count;
                sets.Add(s);
            }
        }

        w.Write7BitEncodedInt(sets.Count);
        foreach (var s in sets)
        {
            w.Write7BitEncodedInt(s.Below is null ? 0 : setIds[s.Below] + 1);
            w.Write7BitEncodedInt(s.OwnNames.Count);
            foreach (var n in s.OwnNames) main.Str(n);
            w.Write7BitEncodedInt(s.OwnLongNames.Count);
            foreach (var n in s.OwnLongNames) main.Str(n);
        }
        w.Write7BitEncodedInt(nodes.Count);
        // One block buffer and one block writer for all the nodes, its tables emptied per block:
        // a writer per block grew two tables of its own each time (most of the writing's garbage).
        using var block = new MemoryStream();
        using var blockOut = new BinaryWriter(block, Encoding.UTF8, leaveOpen: true);
        var blocks = new BlockWriter(blockOut);
        foreach (var n in nodes)
        {
            w.Write7BitEncodedInt(n.Name.Length);
            foreach (var l in n.Name) main.Lbl(l);
            main.Str(n.VarName);
            main.Words(n.Dep);
            w.Write7BitEncodedInt(setIds[n.Labels]);
            var filters = Node.ContentScan.FiltersOf(n.Content);
            // Whether it joins, beside it: the expander asks of every variant it meets, and the answer must not cost a read.
            var joins = filters.Exists(t => t.Filter!.Kind == FilterKind.Join);
            w.Write((byte)((n.AppendToShortname ? 1 : 0) | (n.DefaultCandidate ? 2 : 0) | (joins ? 4 : 0)));
            main.Str(n.BlockVarName);
            w.Write7BitEncodedInt(n.Children.Count);
            foreach (var c in n.Children) w.Write7BitEncodedInt(nodeIds[c]);
            // The statements as two blocks of their own (own string and label numbering, length
            // first): the top-level filters, then all statements (the filters by number), so that a
            // reader can decide on a variant with its filters and leave the rest unread until needed.
            WriteBlock(w, block, blocks, filters.Count == 0 ? null : filters, null);
            WriteBlock(w, block, blocks, n.Content.Count == 0 ? null : n.Content, filters);
        }
    }

    /// <summary>A node's statements (<paramref name="items"/>, none: null) as a block of its own, length first.</summary>
    private static void WriteBlock(BinaryWriter w, MemoryStream block, BlockWriter blocks, List<ContentItem>? items, List<ContentItem>? topFilters)
    {
        if (items is null)
        {
            w.Write7BitEncodedInt(0);
            return;
        }
        block.SetLength(0);
        blocks.Reset();
        blocks.Items(items, topFilters);
        w.Write7BitEncodedInt((int)block.Length);
        w.Write(block.GetBuffer(), 0, (int)block.Length);
    }

    /// <summary>
    /// Reads a tree written by <see cref="Write"/>. Nodes, labels and label sets are read at once;
    /// each node's statements only when first asked for (<see cref="Node.Content"/>): a filtered
    /// expansion such as 'only boot' visits a few of the hundreds of variants. The caller has
    /// checked the bytes against their hash, so a statement block read later is the one written.
    /// </summary>
    public static Node Read(CacheReader r, CacheBytes bytes)
    {
        var pool = new CachedTreePool();
        var tree = new StoredTree(bytes, pool);
        var main = new BlockReader(r, pool);
        main.Reserve(main.Count(), main.Count());
        var sets = new LabelSet[main.Count()];
        for (var i = 0; i < sets.Length; i++)
        {
            var below = r.ReadInt32Varint();
            if (below < 0 || below > i) throw new InvalidDataException("bad label set reference");
            var names = new string[main.Count()];
            for (var n = 0; n < names.Length; n++) names[n] = main.Req();
            var longNames = new string[main.Count()];
            for (var n = 0; n < longNames.Length; n++) longNames[n] = main.Req();
            sets[i] = LabelSet.Restore(below == 0 ? null : sets[below - 1], names, longNames);
        }
        var nodeCount = main.Count();
        if (nodeCount == 0) throw new InvalidDataException("no root");
        var nodes = new Node[nodeCount];
        for (var i = 0; i < nodes.Length; i++) nodes[i] = new Node(contentFromCache: true);
        for (var i = 0; i < nodes.Length; i++)
        {
            var n = nodes[i];
            var name = new Label[main.Count()];
            for (var j = 0; j < name.Length; j++) name[j] = main.Lbl();
            n.Name = name;
            n.VarName = main.Str();
            n.Dep = main.Words();
            var set = r.ReadInt32Varint();
            n.Labels = (uint)set < (uint)sets.Length ? sets[set] : throw new InvalidDataException("bad label set reference");
            var flags = r.ReadByte();
            n.AppendToShortname = (flags & 1) != 0;
            n.DefaultCandidate = (flags & 2) != 0;
            n.BlockVarName = main.Req();
            var childCount = main.Count();
            n.Children.Capacity = Math.Min(childCount, r.Remaining);   // a child is a byte at least
            for (var c = childCount; c > 0; c--)
            {
                var id = r.ReadInt32Varint();
                n.Children.Add((uint)id < (uint)nodes.Length ? nodes[id] : throw new InvalidDataException("bad node reference"));
            }
            var filtersLength = main.Count();
            var filtersOffset = r.Position;
            r.Skip(filtersLength);
            var length = main.Count();
            var offset = r.Position;
            r.Skip(length);
            var joins = (flags & 4) != 0;
            if (joins && filtersLength == 0) throw new InvalidDataException("a node that joins without filters");
            if (length > 0) n.SetStoredContent(new StoredContent(tree, filtersOffset, filtersLength, offset, length, joins));
            else n.SetNoContent();
        }
        return nodes[0];
    }

    /// <summary>What every stored node of one tree reads its statements from: the entry's bytes and the tree's pool.</summary>
    internal sealed class StoredTree(CacheBytes bytes, CachedTreePool pool)
    {
        public CacheBytes Bytes { get; } = bytes;
        public CachedTreePool Pool { get; } = pool;
    }

    /// <summary>A node's statements as stored: its filters and all its statements, each read on first use.</summary>
    /// <remarks>One per stored node (thousands per tree): the tree's parts are shared, and whether it joins is the sign of the length.</remarks>
    internal sealed class StoredContent
    {
        private readonly StoredTree _tree;
        private readonly int _filtersOffset;
        private readonly int _filtersLength;
        private readonly int _offset;
        private readonly int _lengthOrJoins;   // the length, negated when a top-level statement joins
        private Node.ContentScan? _filters;

        public StoredContent(StoredTree tree, int filtersOffset, int filtersLength, int offset, int length, bool hasJoins)
        {
            if (length <= 0) throw new ArgumentOutOfRangeException(nameof(length), "a stored block has statements");
            _tree = tree;
            _filtersOffset = filtersOffset;
            _filtersLength = filtersLength;
            _offset = offset;
            _lengthOrJoins = hasJoins ? -length : length;
        }

        /// <summary>Whether a top-level statement is a <c>join</c> (as <see cref="Node.ContentScan.HasJoins"/> of the filters, known without reading them).</summary>
        public bool HasJoins => _lengthOrJoins < 0;

        /// <summary>Whether <see cref="Filters"/> has been read.</summary>
        public bool FiltersRead => Volatile.Read(ref _filters) is not null;

        /// <summary>The top-level filters (the same objects <see cref="Read"/> puts in the statements).</summary>
        public Node.ContentScan Filters
        {
            get
            {
                if (Volatile.Read(ref _filters) is { } read) return read;
                // Two threads may both read the block; one list is kept, so statement identity holds.
                var list = new List<ContentItem>();
                if (_filtersLength > 0) ReadBlock(_filtersOffset, _filtersLength, list, null);
                Interlocked.CompareExchange(ref _filters, new Node.ContentScan(list), null);
                return _filters!;
            }
        }

        public List<ContentItem> Read()
        {
            var list = new List<ContentItem>();
            ReadBlock(_offset, Math.Abs(_lengthOrJoins), list, Filters.List);
            return list;
        }

        private void ReadBlock(int start, int count, List<ContentItem> list, List<ContentItem>? topFilters)
        {
            var bytes = _tree.Bytes;
            var pool = _tree.Pool;
            lock (pool.Gate)
            {
                var held = false;
                try
                {
                    bytes.DangerousAddRef(ref held);
                    var r = new CacheReader(bytes, start, count);
                    var reader = new BlockReader(r, pool);
                    reader.Items(list, topFilters);
                    reader.Done();
                    if (r.Position != start + count) throw new InvalidDataException("statement block not read to its end");
                }
                finally
                {
                    if (held) bytes.DangerousRelease();
                }
            }
        }
    }

    /// <summary>Strings and labels written on first use and numbered afterwards, within one block.</summary>
    private sealed class BlockWriter(BinaryWriter w)
    {
        private readonly Dictionary<string, int> _strings = new(StringComparer.Ordinal);
        private readonly Dictionary<Label, int> _labels = new(ReferenceEqualityComparer.Instance);

        public void Str(string? s)
        {
            if (s is null)
            {
                w.Write7BitEncodedInt(0);
                return;
            }
            if (_strings.TryGetValue(s, out var i))
            {
                w.Write7BitEncodedInt(i + 2);
                return;
            }
            _strings[s] = _strings.Count;
            w.Write7BitEncodedInt(1);
            w.Write(s);
        }

        public void Lbl(Label l)
        {
            if (_labels.TryGetValue(l, out var i))
            {
                w.Write7BitEncodedInt(i + 1);
                return;
            }
            _labels[l] = _labels.Count;
            w.Write7BitEncodedInt(0);
            Str(l.Name);
            Str(l.VarName);
        }

        /// <summary>Starts a new block: strings and labels are numbered afresh.</summary>
        public void Reset()
        {
            _strings.Clear();
            _labels.Clear();
        }

        public int StringCount => _strings.Count;
        public int LabelCount => _labels.Count;

        public void Words(Label[][][] words)
        {
            w.Write7BitEncodedInt(words.Length);
            foreach (var word in words)
            {
                w.Write7BitEncodedInt(word.Length);
                foreach (var block in word)
                {
                    w.Write7BitEncodedInt(block.Length);
                    foreach (var l in block) Lbl(l);
                }
            }
        }

        /// <summary>
        /// Content lists nest through conditional blocks: written with an explicit stack of lists.
        /// Top-level filters that are in <paramref name="topFilters"/> (written before) are written by number.
        /// </summary>
        public void Items(List<ContentItem> top, List<ContentItem>? topFilters)
        {
            var filterNumber = 0;
            var pending = new PendingLists();
            pending.Push(top, 0);
            w.Write7BitEncodedInt(top.Count);
            while (pending.Count > 0)
            {
                var list = pending.Pop(out var index);
                if (index >= list.Count) continue;
                pending.Push(list, index + 1);
                var item = list[index];
                Str(item.File);
                w.Write7BitEncodedInt(item.Line);
                if (topFilters is not null && item.Filter is not null && ReferenceEquals(list, top))
                {
                    if (!ReferenceEquals(topFilters[filterNumber], item)) throw new InvalidOperationException("filters out of order");
                    w.Write(ItemFilterRef);
                    w.Write7BitEncodedInt(filterNumber++);
                    continue;
                }
                switch (item.Op)
                {
                    case AssignOp a:
                        w.Write(OpAssign);
                        w.Write((byte)a.Kind);
                        Str(a.Name);
                        Str(a.Value);
                        break;
                    case BatchOp b:
                        w.Write(OpBatch);
                        w.Write7BitEncodedInt(b.Count);
                        for (var i = 0; i < b.Count; i++)
                        {
                            Str(b.KeyAt(i));
                            Str(b.ValueAt(i));
                        }
                        break;
                    case DelOp d:
                        w.Write(OpDel);
                        Str(d.Name);
                        break;
                    case SuffixOp s:
                        w.Write(OpSuffix);
                        Str(s.Suffix);
                        break;
                    case FileMapOp m:
                        w.Write(OpFileMap);
                        Str(m.MapFile);
                        Str(m.LongNames);
                        Str(m.ShortNames);
                        break;
                    case null when item.Filter is { } f:
                        w.Write(ItemFilter);
                        w.Write((byte)f.Kind);
                        Words(f.Words);
                        Str(f.LineText);
                        if (f.Content is { } inner)
                        {
                            w.Write7BitEncodedInt(inner.Count);
                            pending.Push(inner, 0);
                        }
                        break;
                    default:
                        throw new InvalidOperationException("unknown statement type " + item.Op?.GetType().Name);
                }
            }
        }
    }

    /// <summary>The reading side of <see cref="BlockWriter"/>; any inconsistency throws <see cref="InvalidDataException"/>.</summary>
    private sealed class BlockReader(CacheReader r, CachedTreePool pool)
    {
        // The tables of strings and labels read so far are a block's alone, but a thread reads
        // one block at a time: it reuses one pair of lists rather than growing a new pair per
        // block (measured: the growing arrays were a third of what an 'only boot' from the cache
        // allocated while it read the blocks of the tests it passed by).
        [ThreadStatic] private static List<string>? t_strings;
        [ThreadStatic] private static List<Label>? t_labels;
        private readonly List<string> _strings = TakeOrNew(ref t_strings);
        private readonly List<Label> _labels = TakeOrNew(ref t_labels);
        // A filter's word shape and labels as read, before they are matched against the pool
        // (a thread reads one block at a time, as above).
        [ThreadStatic] private static int[]? t_shape;
        [ThreadStatic] private static Label[]? t_flat;
        [ThreadStatic] private static PendingLists? t_pending;
        private int[] _shape = TakeOrNew(ref t_shape, 32);
        private Label[] _flat = TakeOrNew(ref t_flat, 32);

        private static List<T> TakeOrNew<T>(ref List<T>? kept)
        {
            var list = kept ?? new List<T>();
            kept = null;
            return list;
        }

        private static T[] TakeOrNew<T>(ref T[]? kept, int length)
        {
            var array = kept ?? new T[length];
            kept = null;
            return array;
        }

        /// <summary>Gives the lists back to the thread for its next block (once the block is read).</summary>
        public void Done()
        {
            t_shape = _shape;
            t_flat = _flat;
            _strings.Clear();
            _labels.Clear();
            t_strings = _strings;
            t_labels = _labels;
        }

        public string? Str()
        {
            var i = r.ReadInt32Varint();
            if (i == 0) return null;
            if (i == 1)
            {
                var s = pool.String(r.ReadStringBytes());
                _strings.Add(s);
                return s;
            }
            return (uint)(i - 2) < (uint)_strings.Count ? _strings[i - 2] : throw new InvalidDataException("bad string reference");
        }

        public string Req() => Str() ?? throw new InvalidDataException("missing string");

        public Label Lbl()
        {
            var i = r.ReadInt32Varint();
            if (i == 0)
            {
                var name = Req();
                var l = pool.Label(name, Str());
                _labels.Add(l);
                return l;
            }
            return (uint)(i - 1) < (uint)_labels.Count ? _labels[i - 1] : throw new InvalidDataException("bad label reference");
        }

        /// <summary>Makes the tables room for as many strings and labels as the block numbers (bounded by its bytes: each takes one at least).</summary>
        public void Reserve(int strings, int labels)
        {
            strings = Math.Min(strings, r.Remaining);
            labels = Math.Min(labels, r.Remaining);
            _strings.EnsureCapacity(strings);
            _labels.EnsureCapacity(labels);
        }

        public Label[][][] Words()
        {
            var count = Count();
            if (count == 0) return Array.Empty<Label[][]>();   // most nodes have no dependencies
            var words = new Label[count][][];
            for (var i = 0; i < words.Length; i++)
            {
                words[i] = new Label[Count()][];
                for (var j = 0; j < words[i].Length; j++)
                {
                    words[i][j] = new Label[Count()];
                    for (var k = 0; k < words[i][j].Length; k++) words[i][j][k] = Lbl();
                }
            }
            return words;
        }

        /// <summary>
        /// A filter statement's words and line: the words of a line read before in the tree when
        /// they are the same labels (they are for the same line text, as the parser makes them),
        /// so that repeated filter lines share one set of arrays, as they do after a parse.
        /// </summary>
        private FilterStatement FilterWords(string file, int line, FilterKind kind)
        {
            var shape = _shape;
            var flat = _flat;
            var shapeCount = 0;
            var flatCount = 0;
            void AddShape(int n)
            {
                if (shapeCount == shape.Length) shape = _shape = ArrayGrowth.Doubled(shape, shapeCount);
                shape[shapeCount++] = n;
            }
            var wordCount = Count();
            AddShape(wordCount);
            for (var i = 0; i < wordCount; i++)
            {
                var blocks = Count();
                AddShape(blocks);
                for (var j = 0; j < blocks; j++)
                {
                    var labels = Count();
                    AddShape(labels);
                    for (var k = 0; k < labels; k++)
                    {
                        var l = Lbl();
                        if (flatCount == flat.Length) flat = _flat = ArrayGrowth.Doubled(flat, flatCount);
                        flat[flatCount++] = l;
                    }
                }
            }
            var lineText = Req();
            if (!pool.TryGetWords(lineText, shape.AsSpan(0, shapeCount), flat.AsSpan(0, flatCount), out var words))
            {
                words = new Label[wordCount][][];
                var s = 1;
                var f = 0;
                for (var i = 0; i < words.Length; i++)
                {
                    words[i] = new Label[shape[s++]][];
                    for (var j = 0; j < words[i].Length; j++)
                    {
                        var block = words[i][j] = new Label[shape[s++]];
                        for (var k = 0; k < block.Length; k++) block[k] = flat[f++];
                    }
                }
                pool.AddWords(lineText, words);
            }
            Array.Clear(flat, 0, flatCount);
            return new FilterStatement(file, line, kind, words, lineText);
        }

        public int Count()
        {
            var n = r.ReadInt32Varint();
            return n is >= 0 and <= 50_000_000 ? n : throw new InvalidDataException("bad count");
        }

        public void Items(List<ContentItem> top, List<ContentItem>? topFilters)
        {
            // One stack of pending lists per thread, as the tables above (a block is read at a time).
            var pending = t_pending ?? new PendingLists();
            t_pending = null;
            var topCount = Count();
            top.Capacity = Math.Max(top.Capacity, Math.Min(topCount, r.Remaining / 3));   // a statement is 3 bytes at least
            pending.Push(top, topCount);
            while (pending.Count > 0)
            {
                var list = pending.Pop(out var left);
                if (left == 0) continue;
                pending.Push(list, left - 1);
                var file = Req();
                var line = r.ReadInt32Varint();
                switch (r.ReadByte())
                {
                    case OpAssign:
                    {
                        var kind = (AssignKind)r.ReadByte();
                        if (kind > AssignKind.RegexPrepend) throw new InvalidDataException("bad operator");
                        list.Add(new AssignOp(file, line, kind, Req(), Req()));
                        break;
                    }
                    case OpBatch:
                    {
                        var entries = new string[2 * Count()];
                        for (var i = 0; i < entries.Length; i++) entries[i] = Req();
                        list.Add(new BatchOp(file, line, entries));
                        break;
                    }
                    case OpDel:
                        list.Add(new DelOp(file, line, Req()));
                        break;
                    case OpSuffix:
                        list.Add(new SuffixOp(file, line, Req()));
                        break;
                    case OpFileMap:
                        list.Add(new FileMapOp(file, line, Req(), Req(), Req()));
                        break;
                    case ItemFilterRef:
                    {
                        var number = Count();
                        if (topFilters is null || !ReferenceEquals(list, top) || number >= topFilters.Count)
                            throw new InvalidDataException("bad filter reference");
                        list.Add(topFilters[number]);
                        break;
                    }
                    case ItemFilter:
                    {
                        var kind = (FilterKind)r.ReadByte();
                        if (kind > FilterKind.Join) throw new InvalidDataException("bad filter kind");
                        var f = FilterWords(file, line, kind);
                        list.Add(f);
                        if (f.Content is { } inner) pending.Push(inner, Count());
                        break;
                    }
                    default:
                        throw new InvalidDataException("bad statement type");
                }
            }
            t_pending = pending;   // empty again: every list was popped
        }
    }

    private static int ReadInt32Varint(this CacheReader r) => r.Read7BitEncodedInt();

    /// <summary>
    /// The content lists still being walked, each with a number (an index or a count left). Not
    /// a Stack of tuples: the framework's generic code over a tuple of a list and an int is
    /// compiled at run time, on every first cache read of a session.
    /// </summary>
    private sealed class PendingLists
    {
        private List<ContentItem>[] _lists = new List<ContentItem>[8];
        private int[] _numbers = new int[8];

        public int Count { get; private set; }

        public void Push(List<ContentItem> list, int number)
        {
            if (Count == _lists.Length)
            {
                _lists = ArrayGrowth.Doubled(_lists, Count);
                _numbers = ArrayGrowth.Doubled(_numbers, Count);
            }
            _lists[Count] = list;
            _numbers[Count++] = number;
        }

        public List<ContentItem> Pop(out int number)
        {
            Count--;
            number = _numbers[Count];
            var list = _lists[Count];
            _lists[Count] = null!;   // kept per thread between blocks: hold no block's lists
            return list;
        }
    }
}
