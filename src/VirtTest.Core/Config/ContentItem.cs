using System.Runtime.CompilerServices;

namespace VirtTest.Core.Config;

/// <summary>
/// One statement of a block as the expander sees it, and where it came from: an operation
/// (<see cref="ParamOp"/>) or a filter (<see cref="FilterStatement"/>).
/// </summary>
/// <remarks>
/// The statement is its own list entry, with its place beside its data, rather than held by an
/// entry object: a real tree's parse makes tens of thousands of statements, and an object each
/// for their places was a sixth of the parsed tree's memory, all of it copied by the first
/// collection during a parse.
/// </remarks>
internal abstract class ContentItem
{
    private readonly bool _isFilter;

    private protected ContentItem(string file, int line, bool isFilter)
    {
        File = file;
        Line = line;
        _isFilter = isFilter;
    }

    public string File { get; }
    public int Line { get; }

    /// <summary>The statement as an operation, or null for a filter.</summary>
    public ParamOp? Op
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => _isFilter ? null : Unsafe.As<ParamOp>(this);
    }

    /// <summary>The statement as a filter, or null for an operation.</summary>
    public FilterStatement? Filter
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => _isFilter ? Unsafe.As<FilterStatement>(this) : null;
    }

    /// <summary>Equality as used to recognise a filter that failed before: same place, same filter.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool SameAs(ContentItem other) =>
        ReferenceEquals(this, other) ||
        (_isFilter && other._isFilter && Line == other.Line && File == other.File &&
            Unsafe.As<FilterStatement>(this).SameFilterAs(Unsafe.As<FilterStatement>(other)));

    public static bool ListContains(List<ContentItem> list, ContentItem item)
    {
        foreach (var x in list)
        {
            if (x.SameAs(item)) return true;
        }
        return false;
    }
}
