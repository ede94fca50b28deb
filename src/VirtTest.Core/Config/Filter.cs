using System.Runtime.CompilerServices;

namespace VirtTest.Core.Config;

/// <summary>The statements that carry a filter expression.</summary>
internal enum FilterKind
{
    Only,
    No,
    /// <summary><c>filter:</c> block: its content applies where the filter matches.</summary>
    Condition,
    /// <summary><c>!filter:</c> block: its content applies where the filter cannot match.</summary>
    NegativeCondition,
    Join,
}

/// <summary>
/// A parsed filter: alternatives (<c>,</c> or white space) of conjunctions (<c>..</c>) of
/// adjacency chains (<c>.</c>) of labels. The matching rules, including which subtrees may still
/// match, follow the reference parser so that pruning gives the same dicts.
/// </summary>
internal sealed class FilterStatement : ContentItem
{
    /// <param name="file">The file the statement was written in.</param>
    /// <param name="line">Its line (for a conditional block, the line where the block ended).</param>
    /// <param name="kind">only, no, join or a conditional block.</param>
    /// <param name="words">The filter's words (see <see cref="Words"/>).</param>
    /// <param name="lineText">The filter as written (for messages and the parse cache).</param>
    /// <param name="content">A conditional block's statements, parsed before it (a new list when null); ignored for other filters.</param>
    public FilterStatement(string file, int line, FilterKind kind, Label[][][] words, string lineText, List<ContentItem>? content = null)
        : base(file, line, isFilter: true)
    {
        Kind = kind;
        Words = words;
        LineText = lineText;
        if (kind is FilterKind.Condition or FilterKind.NegativeCondition) Content = content ?? new List<ContentItem>();
    }

    public FilterKind Kind { get; }
    public Label[][][] Words { get; }
    public string LineText { get; }
    /// <summary>The statements inside a conditional block; null for only/no/join.</summary>
    public List<ContentItem>? Content { get; }

    /// <summary>Only-like statements pass where they match; no-like ones where they do not.</summary>
    private bool OnlyLike => Kind is FilterKind.Only or FilterKind.NegativeCondition;

    public bool Match(ReadOnlySpan<Label> ctx)
    {
        foreach (var word in Words)
        {
            var all = true;
            foreach (var block in word)
            {
                if (MatchAdjacent(block, ctx) != block.Length) { all = false; break; }
            }
            if (all) return true;
        }
        return false;
    }

    public bool MightMatch(ReadOnlySpan<Label> ctx, LabelSet descendants)
    {
        foreach (var word in Words)
        {
            var all = true;
            foreach (var block in word)
            {
                if (!MightMatchAdjacent(block, ctx, descendants)) { all = false; break; }
            }
            if (all) return true;
        }
        return false;
    }

    public bool IsIrrelevant(ReadOnlySpan<Label> ctx, LabelSet descendants) =>
        OnlyLike ? Match(ctx) : !MightMatch(ctx, descendants);

    public bool RequiresAction(ReadOnlySpan<Label> ctx, LabelSet descendants) =>
        OnlyLike ? !MightMatch(ctx, descendants) : Match(ctx);

    /// <summary>
    /// Whether a subtree that failed on this filter under <paramref name="failedCtx"/> is worth
    /// trying again under <paramref name="ctx"/>.
    /// </summary>
    public bool MightPass(ReadOnlySpan<Label> failedCtx, ReadOnlySpan<Label> ctx, LabelSet descendants)
    {
        foreach (var word in Words)
        {
            foreach (var block in word)
            {
                var now = MatchAdjacent(block, ctx);
                var before = MatchAdjacent(block, failedCtx);
                if (OnlyLike ? now > before : now < before)
                    return OnlyLike ? MightMatch(ctx, descendants) : !Match(ctx);
            }
        }
        return false;
    }

    /// <summary>Structural equality, as the reference compares filters of the same file and line.</summary>
    public bool SameFilterAs(FilterStatement other)
    {
        if (ReferenceEquals(this, other)) return true;
        if (Kind != other.Kind || Words.Length != other.Words.Length) return false;
        for (var w = 0; w < Words.Length; w++)
        {
            var a = Words[w];
            var b = other.Words[w];
            if (a.Length != b.Length) return false;
            for (var k = 0; k < a.Length; k++)
            {
                if (a[k].Length != b[k].Length) return false;
                for (var i = 0; i < a[k].Length; i++)
                {
                    if (!b[k][i].IsMatchedBy(a[k][i])) return false;
                }
            }
        }
        return true;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool InContext(Label label, ReadOnlySpan<Label> ctx)
    {
        foreach (var c in ctx)
        {
            if (label.IsMatchedBy(c)) return true;
        }
        return false;
    }

    /// <summary>How many labels of an adjacency chain match consecutively in the context.</summary>
    internal static int MatchAdjacent(Label[] block, ReadOnlySpan<Label> ctx)
    {
        // The reference fails on such a filter when it first evaluates it, not before.
        if (block.Length == 0) throw EmptyPart();
        if (!InContext(block[0], ctx)) return 0;
        if (block.Length == 1) return 1;
        if (!InContext(block[1], ctx)) return block[0].IsMatchedBy(ctx[^1]) ? 1 : 0;
        var k = 0;
        var i = 0;
        while (!block[0].IsMatchedBy(ctx[i])) i++;
        while (i < ctx.Length)
        {
            if (k > 0 && !block[k].IsMatchedBy(ctx[i]))
            {
                i -= k - 1;
                k = 0;
            }
            if (block[k].IsMatchedBy(ctx[i]))
            {
                k++;
                if (k >= block.Length) break;
                if (!InContext(block[k], ctx)) break;
            }
            i++;
        }
        return k;
    }

    private static ConfigError EmptyPart() =>
        new(ConfigErrorKind.Filter, "a filter has an empty part: '.' with no name on one side", null, 0,
            expected: "a name on both sides of '.'");

    private static bool MightMatchAdjacent(Label[] block, ReadOnlySpan<Label> ctx, LabelSet descendants)
    {
        var matched = MatchAdjacent(block, ctx);
        for (var i = matched; i < block.Length; i++)
        {
            if (!descendants.Contains(block[i])) return false;
        }
        return true;
    }

    public override string ToString() =>
        Kind + " " + string.Join(", ", Words.Select(w => string.Join("..", w.Select(b => string.Join(".", b.Select(l => l.LongName))))));
}
