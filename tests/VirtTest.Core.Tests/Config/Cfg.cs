using VirtTest.Core.Config;

namespace VirtTest.Core.Tests.Config;

internal static class Cfg
{
    public static List<VirtParams> Expand(string text, params string[] filters) => Expand(text, false, filters);

    public static List<VirtParams> Expand(string text, bool defaults, params string[] filters)
    {
        var cfg = new CartesianConfig();
        cfg.ParseString(Dedent(text), "test.cfg");
        foreach (var f in filters) cfg.AddFilter(f);
        return cfg.Expand(defaults).ToList();
    }

    public static List<string> Names(string text, params string[] filters) => Expand(text, filters).Select(p => p.ShortName).ToList();

    /// <summary>Removes the common leading indentation so tests can indent their configs.</summary>
    public static string Dedent(string text)
    {
        var lines = text.Replace("\r\n", "\n").Split('\n');
        var indent = lines.Where(l => l.Trim().Length > 0).Select(l => l.Length - l.TrimStart(' ').Length).DefaultIfEmpty(0).Min();
        return string.Join("\n", lines.Select(l => l.Length >= indent ? l[indent..] : l.TrimStart(' ')));
    }
}
