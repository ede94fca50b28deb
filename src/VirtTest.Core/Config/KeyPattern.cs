using System.Runtime.CompilerServices;

namespace VirtTest.Core.Config;

/// <summary>
/// The key regexes of <c>?=</c>, <c>?+=</c>, <c>?&lt;=</c> and <c>del</c> that are made of plain
/// characters, <c>.</c> and the quantifiers <c>*</c>, <c>+</c>, <c>?</c> only (<c>param_.*_0</c>,
/// <c>image_name.*</c>), matched against a whole key without the regex engine: such a pattern
/// matches exactly the keys the regex <c>\A(?:pattern$)</c> matches (keys never hold a line
/// break, so <c>.</c> and <c>$</c> need no special case). Any other pattern is left to
/// <see cref="System.Text.RegularExpressions.Regex"/>.
/// </summary>
internal sealed class KeyPattern
{
    private const int MaxAtoms = 128;
    private const char AnyChar = '\0';

    private enum Repeat : byte { Once, Any, Optional }

    private readonly char[] _chars;      // AnyChar for '.'
    private readonly Repeat[] _repeats;
    // When the pattern is literal text with '.*' between (param_.*_0, image_name.*): the texts,
    // matched with prefix, suffix and ordered searches instead of the state simulation.
    private readonly string[]? _glob;

    private KeyPattern(char[] chars, Repeat[] repeats)
    {
        _chars = chars;
        _repeats = repeats;
        var parts = new List<string>();
        var text = new System.Text.StringBuilder();
        for (var i = 0; i < chars.Length; i++)
        {
            if (chars[i] == AnyChar && repeats[i] == Repeat.Any)
            {
                parts.Add(text.ToString());
                text.Clear();
                continue;
            }
            if (chars[i] == AnyChar || repeats[i] != Repeat.Once) return;   // not a glob
            text.Append(chars[i]);
        }
        parts.Add(text.ToString());
        _glob = parts.ToArray();
    }

    /// <summary>Whether matching is cheap enough that remembering answers costs more than it saves.</summary>
    public bool IsCheap => _glob is not null;

    /// <summary>The pattern as a <see cref="KeyPattern"/>, or null when it uses more of the regex language.</summary>
    public static KeyPattern? TryCreate(string pattern)
    {
        // Arrays, not lists: a List over this file's enum would be compiled at run time. An atom
        // per character at most, plus one per '+'.
        var chars = new char[pattern.Length * 2];
        var repeats = new Repeat[pattern.Length * 2];
        var count = 0;
        foreach (var c in pattern)
        {
            switch (c)
            {
                case '\0' or '\\' or '^' or '$' or '|' or '(' or ')' or '[' or ']' or '{' or '}':
                    return null;
                case '*' or '+' or '?':
                    // A quantifier needs one plain atom before it
                    // ('a**', 'a+?', 'a+*' and '*a' are not ours: a+ is kept as 'a' then 'a*', so its last atom repeats).
                    if (count == 0 || repeats[count - 1] != Repeat.Once) return null;
                    if (c == '*') repeats[count - 1] = Repeat.Any;
                    else if (c == '?') repeats[count - 1] = Repeat.Optional;
                    else
                    {
                        // a+ is a then a*.
                        chars[count] = chars[count - 1];
                        repeats[count++] = Repeat.Any;
                    }
                    break;
                default:
                    chars[count] = c == '.' ? AnyChar : c;
                    repeats[count++] = Repeat.Once;
                    break;
            }
            if (count > MaxAtoms) return null;
        }
        var atoms = new char[count];
        var atomRepeats = new Repeat[count];
        Array.Copy(chars, atoms, count);
        Array.Copy(repeats, atomRepeats, count);
        return new KeyPattern(atoms, atomRepeats);
    }

    /// <summary>Whether the whole key matches.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool IsMatch(string key)
    {
        // '.' never matches a line break: keys with one (never seen in practice) take the general way.
        if (_glob is { } glob && key.IndexOf('\n') < 0) return GlobMatch(glob, key);
        return SimulateMatch(key);
    }

    /// <summary>
    /// Texts t0 .* t1 .* ... .* tn: the key starts with t0 and ends with tn, and t1..tn-1 occur in
    /// order in between, each at its leftmost place after the one before (the leftmost place
    /// leaves the most room for the rest, so it finds a match whenever there is one).
    /// </summary>
    private static bool GlobMatch(string[] glob, string key)
    {
        if (glob.Length == 1) return key == glob[0];
        var first = glob[0];
        var last = glob[^1];
        if (key.Length < first.Length + last.Length) return false;
        if (!key.StartsWith(first, StringComparison.Ordinal) || !key.EndsWith(last, StringComparison.Ordinal)) return false;
        var pos = first.Length;
        var end = key.Length - last.Length;
        for (var i = 1; i < glob.Length - 1; i++)
        {
            var part = glob[i];
            if (part.Length == 0) continue;
            var at = key.AsSpan(pos, end - pos).IndexOf(part.AsSpan(), StringComparison.Ordinal);
            if (at < 0) return false;
            pos += at + part.Length;
        }
        return true;
    }

    private bool SimulateMatch(string key)
    {
        var n = _chars.Length;
        Span<bool> current = stackalloc bool[n + 1];
        Span<bool> next = stackalloc bool[n + 1];
        current[0] = true;
        Close(current);
        foreach (var c in key)
        {
            next.Clear();
            var any = false;
            for (var i = 0; i < n; i++)
            {
                if (!current[i]) continue;
                var p = _chars[i];
                if (p != c && (p != AnyChar || c == '\n')) continue;
                if (_repeats[i] == Repeat.Any) next[i] = true;
                else next[i + 1] = true;
                any = true;
            }
            if (!any) return false;
            Close(next);
            var swap = current;
            current = next;
            next = swap;
        }
        return current[n];
    }

    /// <summary>Adds the positions reachable by skipping optional atoms (in order, so chains of them are followed).</summary>
    private void Close(Span<bool> states)
    {
        for (var i = 0; i < _chars.Length; i++)
        {
            if (states[i] && _repeats[i] != Repeat.Once) states[i + 1] = true;
        }
    }
}
