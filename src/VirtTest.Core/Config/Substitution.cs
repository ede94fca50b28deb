using System.Runtime.CompilerServices;
using System.Text;

namespace VirtTest.Core.Config;

/// <summary>
/// <c>${key}</c> substitution in values, as the reference does it: whatever stands between
/// <c>${</c> and the next <c>}</c> (at least one character) is looked up as a key, exactly as
/// written, so <c>${mem-path_plug1}</c> and <c>${x86-64-march}</c> work. The first reference that
/// names no key (<c>${1}</c>, <c>${ key }</c>) stops substitution: it and the rest of the value stay
/// as written. Keys renamed by <c>suffix</c> are looked up by their folded names.
/// </summary>
internal static class Substitution
{
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static string Apply(string value, WorkingDict d)
    {
        var open = value.IndexOf("${", StringComparison.Ordinal);
        if (open < 0) return value;
        StringBuilder? sb = null;
        var start = 0;
        WorkingDict? flat = null;
        while (open >= 0 && open + 3 <= value.Length)
        {
            var close = value.IndexOf('}', open + 3);
            if (close < 0) break;
            flat ??= d.DropSuffixes();
            if (!flat.TryGetValue(value.Substring(open + 2, close - open - 2), out var resolved)) break;
            (sb ??= new StringBuilder(value.Length + 32)).Append(value, start, open - start).Append(resolved);
            start = close + 1;
            open = value.IndexOf("${", start, StringComparison.Ordinal);
        }
        if (sb is null) return value;
        sb.Append(value, start, value.Length - start);
        return sb.ToString();
    }
}
