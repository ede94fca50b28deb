using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text.RegularExpressions;

namespace VirtTest.Core.Config;

/// <summary>
/// Walks the variant tree and yields one dict per surviving path, lazily. Filters are checked as
/// early as possible; subtrees that failed under a similar context are skipped, with the same
/// bookkeeping as the reference, so that the same dicts come out in the same order.
/// </summary>
internal sealed partial class Expander
{
    private const int FailedCasesKept = 5;

    private readonly bool _defaults;
    private readonly IReadOnlySet<string> _expandDefaults;
    private readonly CancellationToken _cancel;
    private readonly Dictionary<int, FailedCase> _failed = new();   // by node id: the last one met, the others after it
    private readonly Dictionary<int, List<ContentItem>> _contentOverride = new();   // by node id
    private readonly PrefixCache _leaves;
    private static readonly List<ContentItem> NoItems = new();   // never changed

    /// <summary>
    /// A node that failed: in which context (its parent's, <paramref name="parentCtx"/>, shared by
    /// the siblings that failed under it, then its own name), and the filters that failed it.
    /// </summary>
    private sealed class FailedCase(Label[] parentCtx, Label[] name, List<ContentItem> external, List<ContentItem> @internal)
    {
        public Label[] ParentCtx { get; } = parentCtx;
        public Label[] Name { get; } = name;
        public List<ContentItem> External { get; } = external;
        public List<ContentItem> Internal { get; } = @internal;
        /// <summary>The node's next failed case (a short list, most recently useful first: no list object per node).</summary>
        public FailedCase? Next;
    }

    private Label[] _failedCtx = new Label[16];

    /// <summary>The context a node failed in, whole (in a buffer the next call reuses).</summary>
    private ReadOnlySpan<Label> CtxOf(FailedCase fc)
    {
        var length = fc.ParentCtx.Length + fc.Name.Length;
        if (_failedCtx.Length < length) _failedCtx = new Label[length * 2];
        fc.ParentCtx.CopyTo(_failedCtx, 0);
        fc.Name.CopyTo(_failedCtx, fc.ParentCtx.Length);
        return new ReadOnlySpan<Label>(_failedCtx, 0, length);
    }

    public Expander(bool defaults, IReadOnlySet<string> expandDefaults, bool keepDuplicates, CancellationToken cancel)
    {
        _leaves = new PrefixCache(keepDuplicates);
        _defaults = defaults;
        _expandDefaults = expandDefaults;
        _cancel = cancel;
    }

    /// <summary>The dicts below <paramref name="root"/>, suffixes folded.</summary>
    public IEnumerator<WorkingDict> Expand(Node root)
    {
        var ctx = Array.Empty<Label>();
        var content = new List<ContentItem>();
        var dep = Array.Empty<string>();
        return HasJoins(root)
            ? GetDicts(root, ctx, content, ctx, dep, parent: true).GetEnumerator()
            : new Walk(this, root, ctx, content, ctx, dep, dropSuffixes: true);
    }

    /// <summary>
    /// The parameters of a tree, lazily; every enumeration starts afresh with an expander of its own
    /// (made at the first <c>MoveNext</c>).
    /// </summary>
    internal sealed class Sequence : IEnumerable<VirtParams>
    {
        private readonly Node _root;
        private readonly bool _defaults;
        private readonly IReadOnlySet<string> _expandDefaults;
        private readonly bool _keepDuplicates;
        private readonly CancellationToken _cancel;

        public Sequence(Node root, bool defaults, IReadOnlySet<string> expandDefaults, bool keepDuplicates, CancellationToken cancel)
        {
            _keepDuplicates = keepDuplicates;
            _root = root;
            _defaults = defaults;
            _expandDefaults = expandDefaults;
            _cancel = cancel;
        }

        public IEnumerator<VirtParams> GetEnumerator() => new Enumerator(this);

        System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();

        private sealed class Enumerator : IEnumerator<VirtParams>
        {
            private Sequence? _sequence;
            private IEnumerator<WorkingDict>? _dicts;
            private VirtParams? _current;

            public Enumerator(Sequence sequence) => _sequence = sequence;

            public VirtParams Current => _current!;
            object System.Collections.IEnumerator.Current => Current;

            public bool MoveNext()
            {
                if (_dicts is null)
                {
                    if (_sequence is not { } s) return false;
                    _sequence = null;
                    _dicts = new Expander(s._defaults, s._expandDefaults, s._keepDuplicates, s._cancel).Expand(s._root);
                }
                bool more;
                try
                {
                    more = _dicts.MoveNext();
                }
                catch
                {
                    Dispose();
                    throw;
                }
                if (!more)
                {
                    Dispose();
                    return false;
                }
                _current = VirtParams.FromWorkingDict(_dicts.Current);
                return true;
            }

            public void Reset() => throw new NotSupportedException();

            public void Dispose()
            {
                _sequence = null;
                var dicts = _dicts;
                _dicts = null;
                dicts?.Dispose();
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private List<ContentItem> ContentOf(Node node) =>
        _contentOverride.Count > 0 && _contentOverride.TryGetValue(node.Id, out var c) ? c : node.Content;

    private void SetContent(Node node, List<ContentItem>? content)
    {
        if (content is null) _contentOverride.Remove(node.Id);
        else _contentOverride[node.Id] = content;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private bool IsDefault(Node n) => n.DefaultCandidate && !_expandDefaults.Contains(n.BlockVarName);

    private bool HasJoins(Node node) =>
        !HasOverride(node) && node.UnreadJoins is { } stored ? stored : FilterScan(node).HasJoins;

    /// <summary>
    /// The filters of a node's statements as they stand (and whether it joins), without reading
    /// statements the parse cache still holds: the part of a node that decides whether its subtree is out.
    /// </summary>
    private Node.ContentScan FilterScan(Node node)
    {
        if (_contentOverride.Count > 0 && _contentOverride.TryGetValue(node.Id, out var c)) return Scan(node, c);
        return node.UnreadFilters ?? Scan(node, node.Content);
    }

    /// <summary>Whether the expander replaced a node's statements (while expanding its joins).</summary>
    private bool HasOverride(Node node) => _contentOverride.Count > 0 && _contentOverride.ContainsKey(node.Id);

    /// <summary>What <paramref name="content"/> (the node's content) holds; remembered on the node.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Node.ContentScan Scan(Node node, List<ContentItem> content)
    {
        var scan = node.LastScan;
        if (scan is not null && ReferenceEquals(scan.List, content) && scan.Count == content.Count) return scan;
        return node.LastScan = new Node.ContentScan(content);
    }

    private IEnumerable<WorkingDict> GetDicts(Node node, Label[] ctx, List<ContentItem> content, Label[] shortname, string[] dep, bool parent)
    {
        List<ContentItem>? withoutJoins = null;
        List<ContentItem>? joins = null;
        if (HasJoins(node))
        {
            foreach (var t in ContentOf(node))
            {
                if (t.Filter?.Kind == FilterKind.Join) (joins ??= new()).Add(t);
                else (withoutJoins ??= new()).Add(t);
            }
        }
        if (joins is null)
        {
            foreach (var d in new Walk(this, node, ctx, content, shortname, dep, dropSuffixes: false))
            {
                if (parent) d.FoldSuffixes();
                yield return d;
            }
            yield break;
        }

        // Each alternative of each join becomes an 'only'; the dicts of all of them are multiplied.
        var onlys = new List<ContentItem>();
        foreach (var j in joins)
        {
            foreach (var word in j.Filter!.Words)
                onlys.Add(new FilterStatement(j.File, j.Line, FilterKind.Only, new[] { word }, j.Filter.LineText));
        }
        _contentOverride.TryGetValue(node.Id, out var saved);
        SetContent(node, withoutJoins ?? new List<ContentItem>());
        try
        {
            foreach (var d in MultiplyJoin(onlys, node, ctx, content, shortname, dep))
            {
                if (parent) d.FoldSuffixes();
                yield return d;
            }
        }
        finally
        {
            SetContent(node, saved);
        }
    }

    private IEnumerable<WorkingDict> MultiplyJoin(List<ContentItem> onlys, Node node, Label[] ctx, List<ContentItem> content,
        Label[] shortname, string[] dep)
    {
        if (onlys.Count == 0)
        {
            // 'join' with no names (e.g. only a comment after it): the node's dicts as they are.
            foreach (var d in new Walk(this, node, ctx, content, shortname, dep, dropSuffixes: false)) yield return d;
            yield break;
        }
        var remains = onlys.GetRange(1, onlys.Count - 1);
        var original = new List<ContentItem>(ContentOf(node));
        // In place, on the list the node has now: later rounds see it (the reference behaves so).
        ContentOf(node).Add(onlys[0]);
        if (remains.Count == 0)
        {
            foreach (var d in new Walk(this, node, ctx, content, shortname, dep, dropSuffixes: false)) yield return d;
            yield break;
        }
        foreach (var d1 in new Walk(this, node, ctx, content, shortname, dep, dropSuffixes: false))
        {
            SetContent(node, original);
            foreach (var d2 in MultiplyJoin(remains, node, ctx, content, shortname, dep))
            {
                var d = d1.CopyUpdated(d2);
                d[WorkingDict.NameKey] = JoinedName(d1[WorkingDict.NameKey], d2[WorkingDict.NameKey], node);
                d[WorkingDict.ShortNameKey] = JoinedName(d1[WorkingDict.ShortNameKey], d2[WorkingDict.ShortNameKey], node);
                yield return d;
            }
        }
    }

    /// <summary>The name of two joined dicts: their common dotted prefix once, then both rests.</summary>
    private static string JoinedName(string n1, string n2, Node node)
    {
        var n = Math.Min(n1.Length, n2.Length);
        var mismatch = 0;
        while (mismatch < n && n1[mismatch] == n2[mismatch]) mismatch++;
        if (mismatch == n)
        {
            var where = node.Content.FirstOrDefault();
            throw new ConfigError(ConfigErrorKind.Expansion,
                "cannot join '" + n1 + "' with '" + n2 + "': one name is a prefix of the other",
                where?.File, where?.Line ?? 0, expected: "join filters that select different variants");
        }
        var parts = n1.Substring(0, mismatch).Split('.');
        var cp = string.Join(".", parts.Take(parts.Length - 1));
        try
        {
            var p1 = RemoveLeading(n1, cp);
            var p2 = RemoveLeading(n2, cp);
            return cp.Length > 0 ? cp + p1 + p2 : p1 + "." + p2;
        }
        catch (ArgumentException e)
        {
            throw new ConfigError(ConfigErrorKind.Expansion, "cannot join names '" + n1 + "' and '" + n2 + "': " + e.Message,
                null, 0, inner: e);
        }
    }

    /// <summary>
    /// <c>re.sub("^" + prefix, "", name)</c>, as the reference strips the common part of joined names:
    /// the prefix is a regex, so its dots match any character and its parentheses only group. A
    /// prefix of names, dots and balanced parentheses is matched here directly; anything else
    /// goes to the regex engine (which also raises the reference's error for a broken pattern).
    /// </summary>
    internal static string RemoveLeading(string name, string prefix)
    {
        var depth = 0;
        var atoms = 0;
        foreach (var c in prefix)
        {
            switch (c)
            {
                case '(':
                    depth++;
                    continue;
                case ')':
                    if (--depth < 0) return Regex.Replace(name, "^" + prefix, "");
                    continue;
                case '\\' or '^' or '$' or '|' or '?' or '*' or '+' or '[' or ']' or '{' or '}':
                    return Regex.Replace(name, "^" + prefix, "");
            }
            atoms++;
        }
        if (depth != 0) return Regex.Replace(name, "^" + prefix, "");
        if (name.Length < atoms) return name;
        var i = 0;
        foreach (var c in prefix)
        {
            if (c is '(' or ')') continue;
            var n = name[i++];
            if (c == '.' ? n == '\n' : n != c) return name;
        }
        return name.Substring(atoms);
    }

    private static string[] AddDeps(Label[][][] deps, ReadOnlySpan<Label> ctx, string[] dep)
    {
        foreach (var word in deps)
        {
            foreach (var block in word)
                dep = Append(dep, DottedLongNames(ctx, block));
        }
        return dep;
    }

    /// <summary>The long names of the context, then of <paramref name="block"/>, joined with dots.</summary>
    private static string DottedLongNames(ReadOnlySpan<Label> ctx, Label[] block)
    {
        var count = ctx.Length + block.Length;
        if (count == 0) return "";
        var length = count - 1;
        foreach (var l in ctx) length += l.LongName.Length;
        foreach (var l in block) length += l.LongName.Length;
        var chars = length <= 512 ? stackalloc char[length] : new char[length];
        var pos = 0;
        for (var i = 0; i < count; i++)
        {
            var name = (i < ctx.Length ? ctx[i] : block[i - ctx.Length]).LongName;
            if (i > 0) chars[pos++] = '.';
            name.CopyTo(chars[pos..]);
            pos += name.Length;
        }
        return new string(chars);
    }

    /// <summary>
    /// Checks a block's statements against the context: failed only/no filters stop the subtree,
    /// matching conditional blocks are unpacked, settled filters dropped, the rest kept for later.
    /// The lists of failed filters are made when something fails; <paramref name="keptFilters"/>
    /// becomes true when a filter is kept in <paramref name="newContent"/>. Statements between
    /// filters are copied in runs.
    /// </summary>
    /// <remarks>With a null <paramref name="newContent"/> it only decides: pass or fail, and the same
    /// failed lists (those depend on the filters alone).</remarks>
    private static bool ProcessContent(List<ContentItem> content, bool hasFilters, ref List<ContentItem>? failed,
        List<ContentItem>? newContent, ref List<ContentItem>? newInternal, ReadOnlySpan<Label> ctx, LabelSet labels,
        ref bool keptFilters)
    {
        var items = CollectionsMarshal.AsSpan(content);
        if (!hasFilters)
        {
            newContent?.AddRange(items);
            return true;
        }
        var run = 0;
        for (var i = 0; i < items.Length; i++)
        {
            var t = items[i];
            if (t.Filter is not { } f) continue;
            if (i > run) newContent?.AddRange(items[run..i]);
            run = i + 1;
            if (f.RequiresAction(ctx, labels))
            {
                if (f.Kind is FilterKind.Only or FilterKind.No)
                {
                    (failed ??= new List<ContentItem>(1)).Add(t);   // one item as a rule
                    return false;
                }
                if (!ProcessContent(f.Content!, hasFilters: true, ref newInternal, newContent, ref newInternal, ctx, labels, ref keptFilters))
                {
                    (failed ??= new List<ContentItem>(1)).Add(t);   // one item as a rule
                    return false;
                }
            }
            else if (!f.IsIrrelevant(ctx, labels))
            {
                newContent?.Add(t);
                keptFilters = true;
            }
        }
        if (items.Length > run) newContent?.AddRange(items[run..]);
        return true;
    }

    private bool MightPass(FailedCase fc, Node node, ReadOnlySpan<Label> ctx, List<ContentItem> content, LabelSet labels)
    {
        // The failed lists hold filter statements only, so the node's filters stand for its statements;
        // they are looked at only for a filter not among those from above (they may be unread yet).
        List<ContentItem>? nodeContent = null;
        foreach (var t in fc.External)
        {
            if (!ContentItem.ListContains(content, t) && !ContentItem.ListContains(nodeContent ??= FilterScan(node).Filters, t)) return true;
        }
        foreach (var t in fc.Internal)
        {
            if (!ContentItem.ListContains(content, t) && !ContentItem.ListContains(nodeContent ??= FilterScan(node).Filters, t)) return true;
        }
        var failedCtx = CtxOf(fc);
        foreach (var t in fc.External)
        {
            if (!t.Filter!.MightPass(failedCtx, ctx, labels)) return false;
        }
        foreach (var t in fc.Internal)
        {
            if (!ContentItem.ListContains(nodeContent ??= FilterScan(node).Filters, t)) return true;
        }
        foreach (var t in fc.Internal)
        {
            if (!t.Filter!.MightPass(failedCtx, ctx, labels)) return false;
        }
        return true;
    }

    private static string[] Append(string[] a, string s)
    {
        var r = new string[a.Length + 1];
        a.CopyTo(r, 0);
        r[a.Length] = s;
        return r;
    }
}
