using System.Text;

namespace VirtTest.Core.Config;

/// <summary>
/// The per-file name maps the reference keeps in every dict (<c>_name_map_file</c> and
/// <c>_short_name_map_file</c>): for each config file that contributed variants, the names of those
/// variants in name order, e.g. <c>{'subtests.cfg': 'io-github-autotest-qemu.boot'}</c>. Test
/// discovery builds test ids from them.
/// </summary>
/// <remarks>
/// While a dict is built the map is kept in a compact working form (marked by its first
/// character), since each variant on the path updates it; the finished dict holds the text the
/// reference prints for it (a Python dict literal), which <see cref="Parse"/> reads back.
/// </remarks>
public static class FileMap
{
    internal const char EncodedMark = '\u0002';
    private const char EntrySeparator = '\u0003';
    private const char FileSeparator = '\u0004';

    /// <summary>The map after one more variant of <paramref name="file"/> (outer variants come later and go first).</summary>
    internal static string Update(string? encoded, string file, string names)
    {
        if (encoded is null || encoded.Length == 0 || encoded[0] != EncodedMark)
            return EncodedMark + file + FileSeparator + names;
        // Entries: file FileSeparator names, separated by EntrySeparator, in first-seen order.
        var start = 1;
        while (start < encoded.Length)
        {
            var end = encoded.IndexOf(EntrySeparator, start);
            if (end < 0) end = encoded.Length;
            var sep = encoded.IndexOf(FileSeparator, start);
            if (sep - start == file.Length && string.CompareOrdinal(encoded, start, file, 0, file.Length) == 0)
                return string.Concat(encoded.AsSpan(0, sep + 1), names + ".", encoded.AsSpan(sep + 1));
            start = end + 1;
        }
        return encoded + EntrySeparator + file + FileSeparator + names;
    }

    /// <summary>The working form as the reference prints the map.</summary>
    internal static string Render(string encoded)
    {
        var sb = new StringBuilder("{");
        var first = true;
        foreach (var entry in encoded.Substring(1).Split(EntrySeparator))
        {
            var sep = entry.IndexOf(FileSeparator);
            if (!first) sb.Append(", ");
            first = false;
            PyText.AppendRepr(sb, entry.Substring(0, sep));
            sb.Append(": ");
            PyText.AppendRepr(sb, entry.Substring(sep + 1));
        }
        return sb.Append('}').ToString();
    }

    /// <summary>
    /// Reads a map value (<c>{'a.cfg': 'x.y'}</c>) into file name → names. A value that is not such
    /// a map (e.g. set by a <c>_fixed</c> key) gives an empty map.
    /// </summary>
    public static IReadOnlyDictionary<string, string> Parse(string? text)
    {
        var map = new Dictionary<string, string>(StringComparer.Ordinal);
        if (string.IsNullOrEmpty(text)) return map;
        if (text[0] == EncodedMark) text = Render(text);
        var pos = 0;
        if (!Expect(text, ref pos, '{')) return map;
        SkipSpace(text, ref pos);
        if (pos < text.Length && text[pos] == '}') return map;
        while (true)
        {
            if (PyText.ReadRepr(text, ref pos) is not { } key || !Expect(text, ref pos, ':')) return new Dictionary<string, string>();
            SkipSpace(text, ref pos);
            if (PyText.ReadRepr(text, ref pos) is not { } value) return new Dictionary<string, string>();
            map[key] = value;
            SkipSpace(text, ref pos);
            if (pos < text.Length && text[pos] == ',')
            {
                pos++;
                SkipSpace(text, ref pos);
                continue;
            }
            return Expect(text, ref pos, '}') ? map : new Dictionary<string, string>();
        }
    }

    private static void SkipSpace(string s, ref int pos)
    {
        while (pos < s.Length && s[pos] == ' ') pos++;
    }

    private static bool Expect(string s, ref int pos, char c)
    {
        SkipSpace(s, ref pos);
        if (pos >= s.Length || s[pos] != c) return false;
        pos++;
        return true;
    }
}

/// <summary>
/// Added by the parser after each variant's statements: records the variant's names under the
/// file it was written in, in both name maps (full names, then short names).
/// </summary>
internal sealed class FileMapOp : ParamOp
{
    private static readonly int NameMapHash = OrderedStore.Hash(WorkingDict.NameMapKey);
    private static readonly int ShortNameMapHash = OrderedStore.Hash(WorkingDict.ShortNameMapKey);

    public FileMapOp(string file, string longNames, string shortNames) : base(2, readsReservedKeys: false)
    {
        File = file;
        LongNames = longNames;
        ShortNames = shortNames;
    }

    /// <summary>The file's name without its folder (the reference's key), or the name of a parsed string.</summary>
    public string File { get; }
    public string LongNames { get; }
    public string ShortNames { get; }

    // The last update of each map, by input instance: consecutive leaves mostly bring the same
    // map from the statements they share, so the new map is usually the one made just before.
    private sealed record Memo(string In, string Out);
    private Memo? _lastLong;
    private Memo? _lastShort;

    public override void Apply(WorkingDict d, ContentItem where)
    {
        d.SetRaw(WorkingDict.NameMapKey, NameMapHash, Update(ref _lastLong, d.RawValue(WorkingDict.NameMapKey, NameMapHash), LongNames));
        d.SetRaw(WorkingDict.ShortNameMapKey, ShortNameMapHash, Update(ref _lastShort, d.RawValue(WorkingDict.ShortNameMapKey, ShortNameMapHash), ShortNames));
    }

    private string Update(ref Memo? last, string? map, string names)
    {
        var seen = last;   // one read: another expansion may replace it meanwhile
        if (seen is not null && ReferenceEquals(seen.In, map)) return seen.Out;
        var result = FileMap.Update(map, File, names);
        if (map is not null) last = new Memo(map, result);
        return result;
    }
}
