using VirtTest.Core.Config;

namespace VirtTest.Core.Runner;

/// <summary>
/// Finds the script of a test: the <c>type</c> param names <c>&lt;type&gt;.ps1</c> or a Pester
/// spec <c>&lt;type&gt;.Tests.ps1</c> in the test folders, searched in order.
/// </summary>
public static class TestScripts
{
    public static string Resolve(IReadOnlyList<string> folders, VirtParams testParams)
    {
        var type = testParams.Get("type");
        if (string.IsNullOrWhiteSpace(type))
            throw new TestErrorException($"Test '{testParams.ShortName}' has no 'type' param: set type = <script name> in the config.");
        if (type.IndexOfAny(new[] { '/', '\\' }) >= 0 || type.Contains("..", StringComparison.Ordinal))
            throw new TestErrorException($"Test '{testParams.ShortName}': type '{type}' must be a script name, not a path.");
        foreach (var folder in folders)
        {
            foreach (var candidate in new[] { type + ".ps1", type + ".Tests.ps1" })
            {
                var path = Path.Combine(folder, candidate);
                if (File.Exists(path)) return Path.GetFullPath(path);
            }
        }
        throw new TestErrorException($"Test '{testParams.ShortName}': no script for type '{type}' ({type}.ps1 or {type}.Tests.ps1) in {string.Join(", ", folders)}.");
    }

    public static bool IsPesterSpec(string path) => path.EndsWith(".Tests.ps1", StringComparison.OrdinalIgnoreCase);
}
