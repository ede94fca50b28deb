namespace VirtTest.Core.Config;

/// <summary>Something statements can be parsed into: a tree node or a conditional block.</summary>
internal interface IContentHolder
{
    List<ContentItem> Content { get; }
}

/// <summary>
/// A node of the variant tree. A variants block becomes a node whose children are its variants;
/// each variant's only child is what came before the block, so the last block is the root and
/// every path from the root to a leaf is one dict.
/// </summary>
internal sealed class Node : IContentHolder
{
    /// <summary>
    /// Deliberately process-wide: ids only need to be unique and ordered within one tree, and one
    /// counter shared by every parser (any thread, any runspace) gives that; Interlocked keeps it
    /// thread-safe. Never reset, so ids of trees from a cache and of new trees never collide.
    /// </summary>
    private static int _nextId;

    public int Id { get; } = Interlocked.Increment(ref _nextId);

    public Node() => _content = new();

    /// <summary>
    /// A node of a tree read from the parse cache: its statements are set next, stored
    /// (<see cref="SetStoredContent"/>) or none (<see cref="SetNoContent"/>), so no list is made for them meanwhile.
    /// </summary>
    internal Node(bool contentFromCache)
    {
        if (!contentFromCache) _content = new();
    }
    /// <summary>The labels this node adds to the full name (empty for containers).</summary>
    public Label[] Name { get; set; } = Array.Empty<Label>();
    /// <summary>The named block (<c>variants name:</c>) this variant belongs to.</summary>
    public string? VarName { get; set; }
    /// <summary>Dependencies as written after the variant's colon.</summary>
    public Label[][][] Dep { get; set; } = Array.Empty<Label[][]>();
    /// <summary>
    /// The node's statements. A node restored from the parse cache reads them from the cache's
    /// bytes on first use (<see cref="SetStoredContent"/>); every caller, on any thread, gets
    /// the same list.
    /// </summary>
    public List<ContentItem> Content => _content ?? LoadStoredContent();

    private List<ContentItem>? _content;
    private ParsedTreeFormat.StoredContent? _stored;

    /// <summary>Whether <see cref="Content"/> is in memory (false for a cached node's statements not yet needed).</summary>
    internal bool StatementsRead => _content is not null;

    /// <summary>
    /// The node's top-level filter statements (only, no, join, conditional blocks) in order, while
    /// its statements are still unread in the parse cache; null once they are in memory (then
    /// <see cref="Content"/> holds these same item objects). Whether a subtree is out depends on filters
    /// only, so the expander can skip a variant without reading its assignments.
    /// </summary>
    internal ContentScan? UnreadFilters => _content is null ? _stored!.Filters : null;

    /// <summary>Whether its top-level filters are in memory (false for a cached node whose filters were never needed).</summary>
    internal bool FiltersRead => _content is not null || _stored!.FiltersRead;

    /// <summary>Whether a node whose statements are still unread in the parse cache joins (stored beside it); null once they are read.</summary>
    internal bool? UnreadJoins => _content is null ? _stored!.HasJoins : null;

    /// <summary>Makes <see cref="Content"/> come from a statement block of the parse cache, read when first needed.</summary>
    internal void SetStoredContent(ParsedTreeFormat.StoredContent stored)
    {
        _stored = stored;
        _content = null;
    }

    /// <summary>Gives a node read from the parse cache its (empty) statement list.</summary>
    internal void SetNoContent() => _content ??= new();

    private List<ContentItem> LoadStoredContent()
    {
        // Two threads may both read the block; one list is kept, so statement identity holds.
        var loaded = _stored!.Read();
        Interlocked.CompareExchange(ref _content, loaded, null);
        return _content!;
    }
    public List<Node> Children { get; } = new();
    /// <summary>Every label found below this node.</summary>
    public LabelSet Labels { get; set; } = LabelSet.Empty;
    public bool AppendToShortname { get; set; }
    /// <summary>The first default variant (<c>@name</c> or <c>[default=name]</c>) of its block.</summary>
    public bool DefaultCandidate { get; set; }
    /// <summary>The name of the block the variant is in ("" for an unnamed block).</summary>
    public string BlockVarName { get; set; } = "";

    /// <summary>
    /// What a content list of this node held when it had <see cref="ContentScan.Count"/> items
    /// (statements are only ever appended to a list, so an unchanged count means an unchanged list).
    /// </summary>
    internal ContentScan? LastScan;

    internal sealed class ContentScan
    {
        public ContentScan(List<ContentItem> list)
        {
            List = list;
            Count = list.Count;
            Filters = FiltersOf(list);
            foreach (var t in Filters)
            {
                if (t.Filter!.Kind == FilterKind.Join) HasJoins = true;
            }
        }

        public readonly List<ContentItem> List;
        public readonly int Count;
        /// <summary>The list's filter statements, in order (the same list as <see cref="ContentScan.List"/> when it holds nothing else).</summary>
        public readonly List<ContentItem> Filters;
        public bool HasFilters => Filters.Count > 0;
        public readonly bool HasJoins;

        /// <summary>The filter statements of a content list, in order.</summary>
        public static List<ContentItem> FiltersOf(List<ContentItem> list)
        {
            var count = 0;
            foreach (var t in list)
            {
                if (t.Filter is not null) count++;
            }
            if (count == list.Count) return list;
            var filters = new List<ContentItem>(count);
            foreach (var t in list)
            {
                if (t.Filter is not null) filters.Add(t);
            }
            return filters;
        }
    }
}
