using System.Text.Json;
using VirtTest.Core.Config;

namespace VirtTest.Bench;

/// <summary>
/// Prints every dict of each config file as one JSON object per line, keys in the order the
/// engine produced them (<c>dep</c> as a list), after a <c>### FILE</c> line; a config error prints
/// <c>ERROR file:line</c>. The same format from the reference parser lets the two be compared.
/// </summary>
internal static class ConfigDump
{
    public static int Run(List<string> args)
    {
        var defaults = args.Remove("--defaults");
        var keep = args.Remove("--keep-duplicates");
        var filters = new List<string>();
        for (var i = args.IndexOf("--filter"); i >= 0; i = args.IndexOf("--filter"))
        {
            filters.Add(args[i + 1]);
            args.RemoveRange(i, 2);
        }
        using var stdout = new StreamWriter(Console.OpenStandardOutput()) { AutoFlush = false };
        foreach (var file in args)
        {
            stdout.WriteLine("### " + file);
            try
            {
                var cfg = new CartesianConfig();
                cfg.ParseFile(file);
                foreach (var f in filters) cfg.ParseString(f);
                foreach (var p in cfg.Expand(defaults, keepSuffixedKeys: keep))
                {
                    using var ms = new MemoryStream();
                    using (var w = new Utf8JsonWriter(ms))
                    {
                        w.WriteStartObject();
                        foreach (var (k, v) in p)
                        {
                            if (k == VirtParams.DepKey)
                            {
                                w.WriteStartArray(k);
                                foreach (var d in p.Dep) w.WriteStringValue(d);
                                w.WriteEndArray();
                            }
                            else
                            {
                                w.WriteString(k, v);
                            }
                        }
                        w.WriteEndObject();
                    }
                    stdout.WriteLine(System.Text.Encoding.UTF8.GetString(ms.ToArray()));
                }
            }
            catch (ConfigError e)
            {
                stdout.WriteLine("ERROR " + Path.GetFileName(e.FileName) + ":" + e.Line);
            }
        }
        stdout.Flush();
        return 0;
    }
}
