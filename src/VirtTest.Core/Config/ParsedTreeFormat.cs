using System.Text;

namespace VirtTest.Core.Config;

/// <summary>
/// Writes and reads a parsed variant tree (nodes, statements, filters, labels, label sets) in a
/// compact binary form, for the parse cache. The tree is a graph (every variant of a block shares
/// the node below it), so nodes, labels and label sets are written once and referred to by number.
/// </summary>
/// <remarks>
/// Strings are written on first use and referred to by number afterwards. Nothing is recursive:
/// a tree of any depth is written and read with a flat loop. Any inconsistency found while
/// reading throws <see cref="InvalidDataException"/>.
/// </remarks>
internal static class ParsedTreeFormat
{
    private const byte OpAssign = 1, OpBatch = 2, OpDel = 3, OpSuffix = 4, OpFileMap = 5, ItemFilter = 6;

    public static void Write(BinaryWriter w, Node root)
    {
        var strings = new Dictionary<string, int>(StringComparer.Ordinal);
        void Str(string? s)
        {
            if (s is null)
            {
                w.Write7BitEncodedInt(0);
                return;
            }
            if (strings.TryGetValue(s, out var i))
            {
                w.Write7BitEncodedInt(i + 2);
                return;
            }
            strings[s] = strings.Count;
            w.Write7BitEncodedInt(1);
            w.Write(s);
        }

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
        var labels = new Dictionary<Label, int>(ReferenceEqualityComparer.Instance);
        void Lbl(Label l)
        {
            if (labels.TryGetValue(l, out var i))
            {
                w.Write7BitEncodedInt(i + 1);
                return;
            }
            labels[l] = labels.Count;
            w.Write7BitEncodedInt(0);
            Str(l.Name);
            Str(l.VarName);
        }
        void Words(Label[][][] words)
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
        // Content lists nest through conditional blocks: written with an explicit stack of lists.
        void Items(List<ContentItem> top)
        {
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
                        Str(m.File);
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

        w.Write7BitEncodedInt(sets.Count);
        foreach (var s in sets)
        {
            w.Write7BitEncodedInt(s.Below is null ? 0 : setIds[s.Below] + 1);
            w.Write7BitEncodedInt(s.OwnNames.Count);
            foreach (var n in s.OwnNames) Str(n);
            w.Write7BitEncodedInt(s.OwnLongNames.Count);
            foreach (var n in s.OwnLongNames) Str(n);
        }
        w.Write7BitEncodedInt(nodes.Count);
        foreach (var n in nodes)
        {
            w.Write7BitEncodedInt(n.Name.Length);
            foreach (var l in n.Name) Lbl(l);
            Str(n.VarName);
            Words(n.Dep);
            w.Write7BitEncodedInt(setIds[n.Labels]);
            w.Write((byte)((n.AppendToShortname ? 1 : 0) | (n.DefaultCandidate ? 2 : 0)));
            Str(n.BlockVarName);
            w.Write7BitEncodedInt(n.Children.Count);
            foreach (var c in n.Children) w.Write7BitEncodedInt(nodeIds[c]);
            Items(n.Content);
        }
    }

    public static Node Read(CacheReader r)
    {
        var strings = new List<string>();
        string? Str()
        {
            var i = r.ReadInt32Varint();
            if (i == 0) return null;
            if (i == 1)
            {
                var s = r.ReadString();
                strings.Add(s);
                return s;
            }
            return (uint)(i - 2) < (uint)strings.Count ? strings[i - 2] : throw new InvalidDataException("bad string reference");
        }
        string Req() => Str() ?? throw new InvalidDataException("missing string");
        var labels = new List<Label>();
        Label Lbl()
        {
            var i = r.ReadInt32Varint();
            if (i == 0)
            {
                var l = new Label(Req(), Str());
                labels.Add(l);
                return l;
            }
            return (uint)(i - 1) < (uint)labels.Count ? labels[i - 1] : throw new InvalidDataException("bad label reference");
        }
        Label[][][] Words()
        {
            var words = new Label[Count()][][];
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
        int Count()
        {
            var n = r.ReadInt32Varint();
            return n is >= 0 and <= 50_000_000 ? n : throw new InvalidDataException("bad count");
        }
        void Items(List<ContentItem> top)
        {
            var pending = new PendingLists();
            pending.Push(top, Count());
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
                        list.Add(new ContentItem(file, line, new AssignOp(kind, Req(), Req())));
                        break;
                    }
                    case OpBatch:
                    {
                        var n = Count();
                        var keys = new string[n];
                        var values = new string[n];
                        for (var i = 0; i < n; i++)
                        {
                            keys[i] = Req();
                            values[i] = Req();
                        }
                        list.Add(new ContentItem(file, line, new BatchOp(keys, values)));
                        break;
                    }
                    case OpDel:
                        list.Add(new ContentItem(file, line, new DelOp(Req())));
                        break;
                    case OpSuffix:
                        list.Add(new ContentItem(file, line, new SuffixOp(Req())));
                        break;
                    case OpFileMap:
                        list.Add(new ContentItem(file, line, new FileMapOp(Req(), Req(), Req())));
                        break;
                    case ItemFilter:
                    {
                        var kind = (FilterKind)r.ReadByte();
                        if (kind > FilterKind.Join) throw new InvalidDataException("bad filter kind");
                        var f = new FilterStatement(kind, Words(), Req());
                        list.Add(new ContentItem(file, line, f));
                        if (f.Content is { } inner) pending.Push(inner, Count());
                        break;
                    }
                    default:
                        throw new InvalidDataException("bad statement type");
                }
            }
        }

        var sets = new LabelSet[Count()];
        for (var i = 0; i < sets.Length; i++)
        {
            var below = r.ReadInt32Varint();
            if (below < 0 || below > i) throw new InvalidDataException("bad label set reference");
            var names = new HashSet<string>(StringComparer.Ordinal);
            for (var n = Count(); n > 0; n--) names.Add(Req());
            var longNames = new HashSet<string>(StringComparer.Ordinal);
            for (var n = Count(); n > 0; n--) longNames.Add(Req());
            sets[i] = LabelSet.Restore(below == 0 ? null : sets[below - 1], names, longNames);
        }
        var nodeCount = Count();
        if (nodeCount == 0) throw new InvalidDataException("no root");
        var nodes = new Node[nodeCount];
        for (var i = 0; i < nodes.Length; i++) nodes[i] = new Node();
        for (var i = 0; i < nodes.Length; i++)
        {
            var n = nodes[i];
            var name = new Label[Count()];
            for (var j = 0; j < name.Length; j++) name[j] = Lbl();
            n.Name = name;
            n.VarName = Str();
            n.Dep = Words();
            var set = r.ReadInt32Varint();
            n.Labels = (uint)set < (uint)sets.Length ? sets[set] : throw new InvalidDataException("bad label set");
            var flags = r.ReadByte();
            n.AppendToShortname = (flags & 1) != 0;
            n.DefaultCandidate = (flags & 2) != 0;
            n.BlockVarName = Req();
            for (var c = Count(); c > 0; c--)
            {
                var id = r.ReadInt32Varint();
                n.Children.Add((uint)id < (uint)nodes.Length ? nodes[id] : throw new InvalidDataException("bad node reference"));
            }
            Items(n.Content);
        }
        return nodes[0];
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
                var lists = new List<ContentItem>[Count * 2];
                Array.Copy(_lists, lists, Count);
                _lists = lists;
                var numbers = new int[Count * 2];
                Array.Copy(_numbers, numbers, Count);
                _numbers = numbers;
            }
            _lists[Count] = list;
            _numbers[Count++] = number;
        }

        public List<ContentItem> Pop(out int number)
        {
            Count--;
            number = _numbers[Count];
            return _lists[Count];
        }
    }
}
