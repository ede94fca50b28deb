using System.Collections;

namespace VirtTest.Core.Config;

internal sealed partial class Expander
{
    /// <summary>
    /// The depth-first walk below one node, as an explicit stack: each frame is a node being
    /// expanded (the reference's plain expansion step), or a child with joins, whose dicts come
    /// from <see cref="GetDicts"/>. The dicts come out lazily, in the reference order.
    /// </summary>
    /// <remarks>
    /// Frames, the statement lists they build and the label buffers are reused by depth: what a
    /// frame builds is read by the frames above it only, which are gone before the slot is used
    /// again, and nothing else keeps it (failed cases keep copies).
    /// </remarks>
    private sealed class Walk : IEnumerable<WorkingDict>, IEnumerator<WorkingDict>
    {
        private readonly Expander _x;
        private readonly bool _dropSuffixes;
        private readonly List<Frame> _frames = new();
        private int _depth;
        private long _yielded;
        private WorkingDict? _current;
        private bool _started;
        // The context (full name labels) and the short name of the frames on the stack: a frame
        // owns the part past its parent's length.
        private Label[] _ctx;
        private Label[] _short;
        private char[] _chars = new char[256];

        public Walk(Expander x, Node node, Label[] ctx, List<ContentItem> content, Label[] shortName, string[] dep, bool dropSuffixes)
        {
            _x = x;
            _dropSuffixes = dropSuffixes;
            _ctx = new Label[Math.Max(16, ctx.Length * 2)];
            ctx.CopyTo(_ctx, 0);
            _short = new Label[Math.Max(16, shortName.Length * 2)];
            shortName.CopyTo(_short, 0);
            Push(node, ctx.Length, content, contentHasFilters: true, shortName.Length, dep);
        }

        public IEnumerator<WorkingDict> GetEnumerator()
        {
            if (_started) throw new InvalidOperationException("a walk can be enumerated once");
            _started = true;
            return this;
        }

        IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

        public WorkingDict Current => _current!;
        object IEnumerator.Current => Current;
        public void Reset() => throw new NotSupportedException();

        public void Dispose()
        {
            while (_depth > 0) Pop();
        }

        private void Push(Node node, int ctxLength, List<ContentItem> content, bool contentHasFilters, int shortLength, string[] dep)
        {
            if (_depth == _frames.Count) _frames.Add(new Frame());
            var f = _frames[_depth++];
            f.Node = node;
            f.CtxLength = ctxLength;
            f.Content = content;
            f.ContentHasFilters = contentHasFilters;
            f.ShortLength = shortLength;
            f.Dep = dep;
            f.Entered = false;
            f.DefaultChild = null;
            f.LastChild = null;
            f.Inner = null;
            f.CtxSnapshot = null;
        }

        private void Pop()
        {
            var f = _frames[--_depth];
            f.Content = null!;
            if (f.Inner is { } inner)
            {
                f.Inner = null;
                inner.Dispose();
            }
        }

        public bool MoveNext()
        {
            try
            {
                return Step();
            }
            catch
            {
                Dispose();
                throw;
            }
        }

        private bool Step()
        {
            var x = _x;
            while (_depth > 0)
            {
                var f = _frames[_depth - 1];
                if (f.Inner is { } inner)
                {
                    if (inner.MoveNext())
                    {
                        _yielded++;
                        _current = inner.Current;
                        if (_dropSuffixes) _current.FoldSuffixes();
                        return true;
                    }
                    Pop();
                    continue;
                }
                if (!f.Entered)
                {
                    f.Entered = true;
                    if (!Enter(f))
                    {
                        Pop();
                        continue;
                    }
                    if (f.Node.Children.Count == 0)
                    {
                        var d = Leaf(f);
                        Pop();
                        _yielded++;
                        if (_dropSuffixes) d.FoldSuffixes();
                        _current = d;
                        return true;
                    }
                    f.Start = _yielded;
                    f.DefaultsMode = x._defaults && !(f.Node.VarName is not null && x._expandDefaults.Contains(f.Node.VarName));
                    if (f.DefaultsMode)
                    {
                        // The default variant first; once it gave dicts, the others are skipped.
                        foreach (var c in f.Node.Children)
                        {
                            if (x.IsDefault(c))
                            {
                                f.DefaultChild = c;
                                break;
                            }
                        }
                    }
                    f.ChildIndex = f.DefaultChild is null ? 0 : -1;
                }
                else if (f.DefaultsMode && _yielded > f.Start && x.IsDefault(f.LastChild!))
                {
                    // The child just walked was a default variant and gave dicts.
                    Pop();
                    continue;
                }

                var children = f.Node.Children;
                Node? child = null;
                while (f.ChildIndex < children.Count)
                {
                    var i = f.ChildIndex++;
                    var c = i < 0 ? f.DefaultChild! : children[i];
                    if (i >= 0 && f.DefaultChild is not null && c == f.DefaultChild) continue;
                    child = c;
                    break;
                }
                if (child is null)
                {
                    Pop();
                    continue;
                }
                f.LastChild = child;
                Push(child, f.CtxLength, f.NewContent, f.NewContentHasFilters, f.ShortLength, f.Dep);
                if (x.HasJoins(child))
                {
                    _frames[_depth - 1].Inner = x.GetDicts(child, _ctx[..f.CtxLength], f.NewContent, _short[..f.ShortLength], f.Dep,
                        parent: false).GetEnumerator();
                }
            }
            return false;
        }

        /// <summary>
        /// The start of a node's expansion: context, dependencies, earlier failures, then its
        /// statements and the ones from above checked against the context. False when the subtree is out.
        /// </summary>
        private bool Enter(Frame f)
        {
            var x = _x;
            x._cancel.ThrowIfCancellationRequested();
            var node = f.Node;
            var length = f.CtxLength;
            var parentLength = length;
            var name = node.Name;
            if (name.Length > 0)
            {
                if (length + name.Length > _ctx.Length) Array.Resize(ref _ctx, (length + name.Length) * 2);
                name.CopyTo(_ctx, length);
                f.CtxLength = length += name.Length;
            }
            var ctx = new ReadOnlySpan<Label>(_ctx, 0, length);
            var labels = node.Labels;
            var content = f.Content;

            if (x._failed.Count > 0 && x._failed.TryGetValue(node.Id, out var first))
            {
                for (FailedCase? before = null, fc = first; fc is not null; before = fc, fc = fc.Next)
                {
                    if (x.MightPass(fc, node, ctx, content, labels)) continue;
                    if (before is not null)
                    {
                        // The case that decided goes first, to be tried first next time.
                        before.Next = fc.Next;
                        fc.Next = first;
                        x._failed[node.Id] = fc;
                    }
                    return false;
                }
            }

            List<ContentItem>? newExternal = null;
            List<ContentItem>? newInternal = null;
            var keptFilters = false;
            if (!node.StatementsRead && !x.HasOverride(node) && f.ContentHasFilters &&
                !ProcessContent(content, true, ref newExternal, null, ref newInternal, ctx, labels, ref keptFilters))
            {
                // Statements still in the parse cache, and the filters from above fail here on their
                // own (a command line's 'only', a test set's): the node fails whatever its own filters
                // say, so they stay unread (the failed case names the filter from above; either is
                // one that failed in this context).
                AddFailedCase(node, ctx, newExternal, newInternal);
                return false;
            }
            // Filled only on a failure, so still empty here.
            keptFilters = false;
            if (node.UnreadFilters is { } unread && !x.HasOverride(node))
            {
                // Statements still in the parse cache: decide with the filters first (pass or fail
                // and the failed lists depend on them alone), and read the rest only for a pass.
                if (!ProcessContent(unread.Filters, unread.HasFilters, ref newInternal, null, ref newInternal, ctx, labels, ref keptFilters) ||
                    !ProcessContent(content, f.ContentHasFilters, ref newExternal, null, ref newInternal, ctx, labels, ref keptFilters))
                {
                    AddFailedCase(node, ctx, newExternal, newInternal);
                    return false;
                }
                keptFilters = false;
            }

            var nodeContent = x.ContentOf(node);
            var newContent = f.NewContent;
            newContent.Clear();
            newContent.EnsureCapacity(nodeContent.Count + content.Count);
            if (!ProcessContent(nodeContent, Scan(node, nodeContent).HasFilters, ref newInternal, newContent, ref newInternal, ctx, labels,
                    ref keptFilters) ||
                !ProcessContent(content, f.ContentHasFilters, ref newExternal, newContent, ref newInternal, ctx, labels, ref keptFilters))
            {
                AddFailedCase(node, ctx, newExternal, newInternal);
                return false;
            }

            // Its dependencies' names (the parent's context, then each name) once it passed: a
            // test ruled out by a filter would build them for nothing (real trees have long contexts).
            if (node.Dep.Length > 0) f.Dep = AddDeps(node.Dep, new ReadOnlySpan<Label>(_ctx, 0, parentLength), f.Dep);
            f.NewContentHasFilters = keptFilters;
            if (node.AppendToShortname && name.Length > 0)
            {
                var s = f.ShortLength;
                if (s + name.Length > _short.Length) Array.Resize(ref _short, (s + name.Length) * 2);
                name.CopyTo(_short, s);
                f.ShortLength = s + name.Length;
            }
            return true;
        }

        private void AddFailedCase(Node node, ReadOnlySpan<Label> ctx,
            List<ContentItem>? newExternal, List<ContentItem>? newInternal)
        {
            // The context is the parent's and the node's own name: the parent's part is copied once
            // for all of its children that fail (hundreds of tests under one block), not per child.
            var parentLength = ctx.Length - node.Name.Length;
            var parent = _depth >= 2 ? _frames[_depth - 2] : null;
            var parentCtx = parent is not null && parent.CtxLength == parentLength
                ? parent.CtxSnapshot ??= ctx[..parentLength].ToArray()
                : ctx[..parentLength].ToArray();
            var added = new FailedCase(parentCtx, node.Name, newExternal ?? NoItems, newInternal ?? NoItems);
            if (_x._failed.TryGetValue(node.Id, out var first))
            {
                added.Next = first;
                // Keep the newest few: cut the list after the last one kept.
                var kept = added;
                for (var n = 1; n < FailedCasesKept && kept.Next is not null; n++) kept = kept.Next;
                kept.Next = null;
            }
            _x._failed[node.Id] = added;
        }

        /// <summary>The names (or long names) of the first <paramref name="count"/> labels, joined with dots.</summary>
        private string Names(Label[] labels, int count, bool longNames)
        {
            if (count == 0) return "";
            if (count == 1) return longNames ? labels[0].LongName : labels[0].Name;
            var length = count - 1;
            for (var i = 0; i < count; i++) length += (longNames ? labels[i].LongName : labels[i].Name).Length;
            if (length > _chars.Length) _chars = new char[length * 2];
            var chars = _chars;
            var pos = 0;
            for (var i = 0; i < count; i++)
            {
                if (i > 0) chars[pos++] = '.';
                var part = longNames ? labels[i].LongName : labels[i].Name;
                part.CopyTo(0, chars, pos, part.Length);
                pos += part.Length;
            }
            return new string(chars, 0, length);
        }

        /// <summary>The dict of a leaf whose frame has been entered.</summary>
        private WorkingDict Leaf(Frame f)
        {
            var name = Names(_ctx, f.CtxLength, longNames: true);
            var d = _x._leaves.Build(f.NewContent, name, f.Dep, Names(_short, f.ShortLength, longNames: false));
            PostfixRules.Apply(d, name);
            return d;
        }
    }

    /// <summary>A node being expanded, with what it got from above and what it passes on.</summary>
    private sealed class Frame
    {
        public Node Node = null!;
        /// <summary>The length of the context: the parent's before entering, this node's after.</summary>
        public int CtxLength;
        public List<ContentItem> Content = null!;
        /// <summary>False when <see cref="Content"/> has no filters (then it is copied as is).</summary>
        public bool ContentHasFilters;
        public int ShortLength;
        public string[] Dep = null!;
        public readonly List<ContentItem> NewContent = new();
        public bool NewContentHasFilters;
        public bool Entered;
        public bool DefaultsMode;
        public Node? DefaultChild;
        public Node? LastChild;
        public int ChildIndex;
        public long Start;
        public IEnumerator<WorkingDict>? Inner;
        /// <summary>This node's context once copied for its failed children (see <c>AddFailedCase</c>).</summary>
        public Label[]? CtxSnapshot;
    }
}
