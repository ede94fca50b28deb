namespace VirtTest.Core.Config;

/// <summary>
/// One component of a variant's full name: a plain name (<c>qcow2</c>) or a named-block value
/// (<c>(image_format=qcow2)</c>).
/// </summary>
internal sealed class Label
{
    public Label(string name, string? varName = null)
    {
        Name = name;
        VarName = varName;
        LongName = varName is null ? name : "(" + varName + "=" + name + ")";
    }

    public string Name { get; }
    public string? VarName { get; }
    public string LongName { get; }

    /// <summary>
    /// Whether a name component in a context (<paramref name="candidate"/>) satisfies this filter
    /// label. The relation is deliberately one-sided: a plain filter label matches by name alone,
    /// so <c>fedora</c> selects <c>(guest_os=fedora)</c>, but <c>(guest_os=fedora)</c> needs the
    /// full form.
    /// </summary>
    public bool IsMatchedBy(Label candidate) =>
        VarName is null ? candidate.Name == Name : candidate.LongName == LongName;

    public override string ToString() => LongName;
}

/// <summary>An immutable set of labels answering the same one-sided membership question.</summary>
internal sealed class LabelSet
{
    public static readonly LabelSet Empty = new(new HashSet<string>(StringComparer.Ordinal), new HashSet<string>(StringComparer.Ordinal));

    private readonly HashSet<string> _names;
    private readonly HashSet<string> _longNames;

    private LabelSet(HashSet<string> names, HashSet<string> longNames)
    {
        _names = names;
        _longNames = longNames;
    }

    public static LabelSet Union(IEnumerable<LabelSet> sets, IEnumerable<Label> extra)
    {
        var names = new HashSet<string>(StringComparer.Ordinal);
        var longNames = new HashSet<string>(StringComparer.Ordinal);
        foreach (var s in sets)
        {
            names.UnionWith(s._names);
            longNames.UnionWith(s._longNames);
        }
        foreach (var l in extra)
        {
            names.Add(l.Name);
            longNames.Add(l.LongName);
        }
        return new LabelSet(names, longNames);
    }

    public IEnumerable<string> Names => _names;

    public bool Contains(Label filterLabel) =>
        filterLabel.VarName is null ? _names.Contains(filterLabel.Name) : _longNames.Contains(filterLabel.LongName);
}
