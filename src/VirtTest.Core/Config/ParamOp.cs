using System.Text.RegularExpressions;

namespace VirtTest.Core.Config;

/// <summary>The operators of an assignment statement.</summary>
internal enum AssignKind { Set, Append, Prepend, LazySet, RegexSet, RegexAppend, RegexPrepend }

/// <summary>A statement that changes the dict being built: assignments, <c>del</c>, <c>suffix</c>.</summary>
internal abstract class ParamOp
{
    public abstract void Apply(WorkingDict d, ContentItem where);

    protected static Regex KeyRegex(string pattern, ContentItem where)
    {
        // Python's re.match(pattern + "$"): anchored at the start, '$' bound to the last branch.
        try
        {
            return new Regex(@"\A(?:" + pattern + "$)", RegexOptions.CultureInvariant);
        }
        catch (ArgumentException e)
        {
            throw new ConfigError(ConfigErrorKind.Expansion, "invalid key regular expression '" + pattern + "': " + e.Message,
                where.File, where.Line, expected: "a regular expression over key names", inner: e);
        }
    }
}

/// <summary><c>key = v</c>, <c>+=</c>, <c>&lt;=</c>, <c>~=</c>, and the regex forms <c>?=</c>, <c>?+=</c>, <c>?&lt;=</c>.</summary>
internal sealed class AssignOp : ParamOp
{
    private Regex? _regex;

    public AssignOp(AssignKind kind, string name, string value)
    {
        Kind = kind;
        Name = name;
        Value = value;
    }

    public AssignKind Kind { get; }
    public string Name { get; }
    public string Value { get; }
    public bool HasSubstitution => Value.IndexOf('$') >= 0;

    public override void Apply(WorkingDict d, ContentItem where)
    {
        switch (Kind)
        {
            case AssignKind.Set:
                if (!WorkingDict.IsReserved(Name)) d[Name] = Substitution.Apply(Value, d);
                break;
            case AssignKind.Append:
                if (!WorkingDict.IsReserved(Name))
                {
                    var v = Substitution.Apply(Value, d);
                    d[Name] = (d.TryGetValue(Name, out var old) ? old : "") + v;
                }
                break;
            case AssignKind.Prepend:
                if (!WorkingDict.IsReserved(Name))
                {
                    var v = Substitution.Apply(Value, d);
                    d[Name] = v + (d.TryGetValue(Name, out var old) ? old : "");
                }
                break;
            case AssignKind.LazySet:
                if (!WorkingDict.IsReserved(Name) && !d.ContainsKey(Name)) d[Name] = Substitution.Apply(Value, d);
                break;
            default:
                ApplyRegex(d, where);
                break;
        }
    }

    private void ApplyRegex(WorkingDict d, ContentItem where)
    {
        _regex ??= KeyRegex(Name, where);
        var value = Substitution.Apply(Value, d);
        foreach (var key in d.KeySnapshot())
        {
            if (WorkingDict.IsReserved(key) || !_regex.IsMatch(WorkingDict.Flatten(key))) continue;
            var old = d[key];
            d.SetAt(key, Kind switch
            {
                AssignKind.RegexSet => value,
                AssignKind.RegexAppend => old + value,
                _ => value + old,
            });
        }
    }

    /// <summary>Applies a plain set or a same-key follow-up to a block's batch of plain assignments.</summary>
    public void ApplyToBatch(WorkingDict batch, ContentItem where) => Apply(batch, where);
}

/// <summary>A run of plain <c>key = value</c> statements of one block, applied as one update.</summary>
internal sealed class BatchOp : ParamOp
{
    public BatchOp(WorkingDict values) => Values = values;

    public WorkingDict Values { get; }

    public override void Apply(WorkingDict d, ContentItem where)
    {
        foreach (var (k, v) in Values.Entries()) d[k] = v;
    }
}

/// <summary><c>del key</c>: removes the keys the name matches (as an anchored regex).</summary>
internal sealed class DelOp : ParamOp
{
    private Regex? _regex;

    public DelOp(string name) => Name = name;

    public string Name { get; }

    public override void Apply(WorkingDict d, ContentItem where)
    {
        _regex ??= KeyRegex(Name, where);
        var doomed = new List<string>();
        foreach (var key in d.KeySnapshot())
        {
            if (WorkingDict.IsReserved(key)) continue;
            if (WorkingDict.IsTuple(key))
                throw new ConfigError(ConfigErrorKind.Expansion,
                    "'del " + Name + "' cannot be applied after a 'suffix' statement renamed the keys (" + WorkingDict.Flatten(key) + ")",
                    where.File, where.Line, expected: "del before suffix");
            if (_regex.IsMatch(key)) doomed.Add(key);
        }
        foreach (var key in doomed) d.Remove(key, out _);
    }
}

/// <summary><c>suffix _x</c>: every key of the dict so far gets the suffix (applied last in its block).</summary>
internal sealed class SuffixOp : ParamOp
{
    public SuffixOp(string suffix) => Suffix = suffix;

    public string Suffix { get; }

    public override void Apply(WorkingDict d, ContentItem where)
    {
        foreach (var key in d.KeySnapshot())
        {
            if (WorkingDict.IsReserved(key)) continue;
            if (!d.Remove(key, out var value)) continue;
            d[key + WorkingDict.TupleSeparator + Suffix] = value;
        }
    }
}
