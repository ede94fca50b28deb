namespace VirtTest.Core.Tests.Config;

internal static class TestPaths
{
    /// <summary>The repository root (the folder holding VirtTest.sln).</summary>
    public static string RepoRoot
    {
        get
        {
            var dir = new DirectoryInfo(AppContext.BaseDirectory);
            while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "VirtTest.sln"))) dir = dir.Parent;
            return dir?.FullName ?? throw new InvalidOperationException("VirtTest.sln not found above " + AppContext.BaseDirectory);
        }
    }

    /// <summary>The conformance corpus kept in the repository (tests/conformance/cartesian).</summary>
    public static string Conformance
    {
        get
        {
            var dir = Path.Combine(RepoRoot, "tests", "conformance", "cartesian");
            if (!Directory.Exists(dir)) throw new DirectoryNotFoundException("conformance cases not found at " + dir);
            return dir;
        }
    }
}

/// <summary>A temp folder removed when the test ends, pass or fail.</summary>
internal sealed class TempDir : IDisposable
{
    public TempDir()
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "virttest-cfg-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Path);
    }

    public string Path { get; }

    public string Write(string name, string text)
    {
        var p = System.IO.Path.Combine(Path, name);
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(p)!);
        File.WriteAllText(p, text);
        return p;
    }

    public void Dispose()
    {
        try { Directory.Delete(Path, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}
