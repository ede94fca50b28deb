using System.Runtime.CompilerServices;

namespace VirtTest.Core.Config;

/// <summary>One statement of a block as the expander sees it: an operation or a filter, and where it came from.</summary>
internal sealed class ContentItem
{
    public ContentItem(string file, int line, ParamOp op)
    {
        File = file;
        Line = line;
        Op = op;
    }

    public ContentItem(string file, int line, FilterStatement filter)
    {
        File = file;
        Line = line;
        Filter = filter;
    }

    public string File { get; }
    public int Line { get; }
    public ParamOp? Op { get; }
    public FilterStatement? Filter { get; }

    /// <summary>Equality as used to recognise a filter that failed before: same place, same filter.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool SameAs(ContentItem other) =>
        ReferenceEquals(this, other) ||
        (Filter is not null && other.Filter is not null && Line == other.Line && File == other.File && Filter.SameAs(other.Filter));

    public static bool ListContains(List<ContentItem> list, ContentItem item)
    {
        foreach (var x in list)
        {
            if (x.SameAs(item)) return true;
        }
        return false;
    }
}
