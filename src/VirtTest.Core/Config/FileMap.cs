using System.Text;

namespace VirtTest.Core.Config;

/// <summary>
/// The per-file name maps the reference keeps in every dict (<c>_name_map_file</c> and
/// <c>_short_name_map_file</c>): for each config file that contributed variants, the names of those
/// variants in name order, e.g. <c>{'subtests.cfg': 'io-github-autotest-qemu.boot'}</c>. Test
/// discovery builds test ids from them.
/// </summary>
/// <remarks>
/// While a dict is built, the map keys hold <see cref="Pending"/> and the dict keeps the map
/// statements it met as a shared, immutable list (<see cref="FileMapLog"/>): copying a dict
/// copies a reference, and the text (a Python dict literal, as the reference prints it, which
/// <see cref="Parse"/> reads back) is made only when someone reads the key.
/// </remarks>
public static class FileMap
{
    /// <summary>The value a map key holds until its text is made (compared by reference).</summary>
    internal static readonly string Pending = new(new[] { '\u0002' });   // not new('\u0002', 1): its fill helper is compiled at run time

    /// <summary>The text of one map from the statements met, newest first.</summary>
    internal static string Render(FileMapLog log, bool shortNames)
    {
        var ops = new List<FileMapOp>();
        for (var n = log; n is not null; n = n.Older)
        {
            var run = n.Ops;
            for (var i = run.Length - 1; i >= 0; i--) ops.Add(run[i]);
        }
        // Files in the order the dict first met them (oldest first); names newest first, which is
        // the outer variant first, as in the dict's name.
        var files = new List<string>();
        for (var i = ops.Count - 1; i >= 0; i--)
        {
            if (!files.Contains(ops[i].MapFile)) files.Add(ops[i].MapFile);
        }
        var sb = new StringBuilder("{");
        for (var f = 0; f < files.Count; f++)
        {
            if (f > 0) sb.Append(", ");
            PyText.AppendRepr(sb, files[f]);
            sb.Append(": ");
            var names = new StringBuilder();
            foreach (var op in ops)
            {
                if (op.MapFile != files[f]) continue;
                if (names.Length > 0) names.Append('.');
                names.Append(shortNames ? op.ShortNames : op.LongNames);
            }
            PyText.AppendRepr(sb, names.ToString());
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
    public FileMapOp(string file, int line, string mapFile, string longNames, string shortNames) : base(file, line, 2, readsReservedKeys: false)
    {
        MapFile = mapFile;
        LongNames = longNames;
        ShortNames = shortNames;
    }

    /// <summary>The file's name without its folder (the reference's key), or the name of a parsed string.</summary>
    public string MapFile { get; }
    public string LongNames { get; }
    public string ShortNames { get; }

    public override void Apply(WorkingDict d) => d.AddFileMap(this);
}

/// <summary>
/// The map statements a dict met: a run of them in the order met, after the older runs;
/// immutable, shared between copies. (A run per dict, not a node per statement: a leaf meets
/// a score of them, and the default run of a real tree makes thousands of leaves.)
/// </summary>
internal sealed class FileMapLog
{
    private readonly FileMapOp[] _ops;

    /// <summary>The first <paramref name="count"/> statements of <paramref name="ops"/> (which must not change afterwards) after <paramref name="older"/>.</summary>
    public FileMapLog(FileMapOp[] ops, int count, FileMapLog? older)
    {
        _ops = ops;
        Count = count;
        Older = older;
    }

    /// <summary>The statements of this run, oldest first.</summary>
    public ReadOnlySpan<FileMapOp> Ops => _ops.AsSpan(0, Count);
    public int Count { get; }
    public FileMapLog? Older { get; }
}
