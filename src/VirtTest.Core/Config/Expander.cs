using System.Text.RegularExpressions;

namespace VirtTest.Core.Config;

/// <summary>
/// Walks the variant tree and yields one dict per surviving path, lazily. Filters are checked as
/// early as possible; subtrees that failed under a similar context are skipped, with the same
/// bookkeeping as the reference, so that the same dicts come out in the same order.
/// </summary>
internal sealed class Expander
{
    private const int FailedCasesKept = 5;

    private readonly bool _defaults;
    private readonly IReadOnlySet<string> _expandDefaults;
    private readonly CancellationToken _cancel;
    private readonly Dictionary<Node, List<FailedCase>> _failed = new();
    private readonly Dictionary<Node, List<ContentItem>> _contentOverride = new();

    private sealed record FailedCase(Label[] Ctx, List<ContentItem> External, List<ContentItem> Internal);

    public Expander(bool defaults, IReadOnlySet<string> expandDefaults, CancellationToken cancel)
    {
        _defaults = defaults;
        _expandDefaults = expandDefaults;
        _cancel = cancel;
    }

    public IEnumerable<WorkingDict> Expand(Node root) =>
        GetDicts(root, Array.Empty<Label>(), new List<ContentItem>(), Array.Empty<Label>(), Array.Empty<string>(), parent: true);

    private List<ContentItem> ContentOf(Node node) => _contentOverride.TryGetValue(node, out var c) ? c : node.Content;

    private void SetContent(Node node, List<ContentItem>? content)
    {
        if (content is null) _contentOverride.Remove(node);
        else _contentOverride[node] = content;
    }

    private bool IsDefault(Node n) => n.DefaultCandidate && !_expandDefaults.Contains(n.BlockVarName);

    private IEnumerable<WorkingDict> GetDicts(Node node, Label[] ctx, List<ContentItem> content, Label[] shortname, string[] dep, bool parent)
    {
        List<ContentItem>? withoutJoins = null;
        List<ContentItem>? joins = null;
        foreach (var t in ContentOf(node))
        {
            if (t.Filter?.Kind == FilterKind.Join) (joins ??= new()).Add(t);
            else (withoutJoins ??= new()).Add(t);
        }
        if (joins is null)
        {
            foreach (var d in Plain(node, ctx, content, shortname, dep))
                yield return parent ? d.DropSuffixes() : d;
            yield break;
        }

        // Each alternative of each join becomes an 'only'; the dicts of all of them are multiplied.
        var onlys = new List<ContentItem>();
        foreach (var j in joins)
        {
            foreach (var word in j.Filter!.Words)
                onlys.Add(new ContentItem(j.File, j.Line, new FilterStatement(FilterKind.Only, new[] { word }, j.Filter.LineText)));
        }
        _contentOverride.TryGetValue(node, out var saved);
        SetContent(node, withoutJoins ?? new List<ContentItem>());
        try
        {
            foreach (var d in MultiplyJoin(onlys, node, ctx, content, shortname, dep))
                yield return parent ? d.DropSuffixes() : d;
        }
        finally
        {
            SetContent(node, saved);
        }
    }

    private IEnumerable<WorkingDict> MultiplyJoin(List<ContentItem> onlys, Node node, Label[] ctx, List<ContentItem> content,
        Label[] shortname, string[] dep)
    {
        var remains = onlys.GetRange(1, onlys.Count - 1);
        var original = new List<ContentItem>(ContentOf(node));
        // In place, on the list the node has now: later rounds see it (the reference behaves so).
        ContentOf(node).Add(onlys[0]);
        if (remains.Count == 0)
        {
            foreach (var d in Plain(node, ctx, content, shortname, dep)) yield return d;
            yield break;
        }
        foreach (var d1 in Plain(node, ctx, content, shortname, dep))
        {
            SetContent(node, original);
            foreach (var d2 in MultiplyJoin(remains, node, ctx, content, shortname, dep))
            {
                var d = d1.Copy();
                d.Update(d2);
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
            var p1 = Regex.Replace(n1, "^" + cp, "");
            var p2 = Regex.Replace(n2, "^" + cp, "");
            return cp.Length > 0 ? cp + p1 + p2 : p1 + "." + p2;
        }
        catch (ArgumentException e)
        {
            throw new ConfigError(ConfigErrorKind.Expansion, "cannot join names '" + n1 + "' and '" + n2 + "': " + e.Message,
                null, 0, inner: e);
        }
    }

    private IEnumerable<WorkingDict> Plain(Node node, Label[] ctx, List<ContentItem> content, Label[] shortname, string[] dep)
    {
        _cancel.ThrowIfCancellationRequested();
        foreach (var word in node.Dep)
        {
            foreach (var block in word)
                dep = Append(dep, string.Join(".", ctx.Concat(block).Select(l => l.LongName)));
        }
        ctx = node.Name.Length == 0 ? ctx : Concat(ctx, node.Name);
        var labels = node.Labels;

        if (_failed.TryGetValue(node, out var failedCases))
        {
            for (var i = 0; i < failedCases.Count; i++)
            {
                var fc = failedCases[i];
                if (!MightPass(fc, node, ctx, content, labels))
                {
                    failedCases.RemoveAt(i);
                    failedCases.Insert(0, fc);
                    yield break;
                }
            }
        }

        var newContent = new List<ContentItem>();
        var newExternal = new List<ContentItem>();
        var newInternal = new List<ContentItem>();
        if (!ProcessContent(ContentOf(node), newInternal, newContent, newInternal, ctx, labels) ||
            !ProcessContent(content, newExternal, newContent, newInternal, ctx, labels))
        {
            if (failedCases is null) _failed[node] = failedCases = new List<FailedCase>();
            failedCases.Insert(0, new FailedCase(ctx, newExternal, newInternal));
            if (failedCases.Count > FailedCasesKept) failedCases.RemoveAt(failedCases.Count - 1);
            yield break;
        }

        if (node.AppendToShortname) shortname = Concat(shortname, node.Name);

        var count = 0;
        var children = node.Children;
        if (_defaults && !(node.VarName is not null && _expandDefaults.Contains(node.VarName)))
        {
            var defaultChild = children.FirstOrDefault(IsDefault);
            var ordered = defaultChild is null ? children : children.Where(c => c != defaultChild).Prepend(defaultChild);
            foreach (var child in ordered)
            {
                foreach (var d in GetDicts(child, ctx, newContent, shortname, dep, parent: false))
                {
                    count++;
                    yield return d;
                }
                if (count > 0 && IsDefault(child)) break;
            }
        }
        else
        {
            foreach (var child in children)
            {
                foreach (var d in GetDicts(child, ctx, newContent, shortname, dep, parent: false))
                    yield return d;
            }
        }

        if (children.Count == 0)
        {
            var name = string.Join(".", ctx.Select(l => l.LongName));
            var d = new WorkingDict();
            d[WorkingDict.NameKey] = name;
            d[WorkingDict.DepKey] = "";
            d.Dep = dep.ToList();
            d[WorkingDict.ShortNameKey] = string.Join(".", shortname.Select(l => l.Name));
            foreach (var item in newContent) item.Op?.Apply(d, item);
            PostfixRules.Apply(d, name);
            yield return d;
        }
    }

    /// <summary>
    /// Checks a block's statements against the context: failed only/no filters stop the subtree,
    /// matching conditional blocks are unpacked, settled filters dropped, the rest kept for later.
    /// </summary>
    private static bool ProcessContent(List<ContentItem> content, List<ContentItem> failed, List<ContentItem> newContent,
        List<ContentItem> newInternal, Label[] ctx, LabelSet labels)
    {
        foreach (var t in content)
        {
            if (t.Filter is not { } f)
            {
                newContent.Add(t);
                continue;
            }
            if (f.RequiresAction(ctx, labels))
            {
                if (f.Kind is FilterKind.Only or FilterKind.No)
                {
                    failed.Add(t);
                    return false;
                }
                if (!ProcessContent(f.Content!, newInternal, newContent, newInternal, ctx, labels))
                {
                    failed.Add(t);
                    return false;
                }
            }
            else if (!f.IsIrrelevant(ctx, labels))
            {
                newContent.Add(t);
            }
        }
        return true;
    }

    private bool MightPass(FailedCase fc, Node node, Label[] ctx, List<ContentItem> content, LabelSet labels)
    {
        var nodeContent = ContentOf(node);
        foreach (var t in fc.External.Concat(fc.Internal))
        {
            if (!ContentItem.ListContains(content, t) && !ContentItem.ListContains(nodeContent, t)) return true;
        }
        foreach (var t in fc.External)
        {
            if (!t.Filter!.MightPass(fc.Ctx, ctx, labels)) return false;
        }
        foreach (var t in fc.Internal)
        {
            if (!ContentItem.ListContains(nodeContent, t)) return true;
        }
        foreach (var t in fc.Internal)
        {
            if (!t.Filter!.MightPass(fc.Ctx, ctx, labels)) return false;
        }
        return true;
    }

    private static Label[] Concat(Label[] a, Label[] b)
    {
        var r = new Label[a.Length + b.Length];
        a.CopyTo(r, 0);
        b.CopyTo(r, a.Length);
        return r;
    }

    private static string[] Append(string[] a, string s)
    {
        var r = new string[a.Length + 1];
        a.CopyTo(r, 0);
        r[a.Length] = s;
        return r;
    }
}
