using System.Diagnostics;
using System.Text.RegularExpressions;
using VirtTest.Core.Tests.Config;

namespace VirtTest.Core.Tests;

/// <summary>
/// A clone in any folder must pass: no tracked source, test, build script or example may refer to
/// a path outside the repository (this machine's work folders, a sibling 'shared' folder, or a
/// relative path that climbs above the repository root). Markdown prose is not checked.
/// </summary>
public class SelfContainedRepositoryTests
{
    private static readonly string[] CheckedRoots = { "src/", "tests/", "build/", "examples/", "bench/", "module/", ".ci/" };
    private static readonly string[] CheckedTopFiles = { "build.ps1", "VirtTest.psd1", "Directory.Build.props", "VirtTest.sln" };
    private static readonly string WorkFolder = "/" + "work" + "/";
    private static readonly string SharedSibling = ".." + "/" + "shared";
    private static readonly Regex Climb = new(@"(?<![\w.])\.\.(?:[/\\]\.\.)*(?=[/\\'""])", RegexOptions.Compiled);
    private static readonly Regex AboveRoot = new(@"(RepoRoot|\$Root|\$RepoRoot)\s*,\s*[""']\.\.[""']", RegexOptions.Compiled);

    [Fact]
    public void No_tracked_file_refers_to_a_path_outside_the_repository()
    {
        var root = TestPaths.RepoRoot;
        var files = TrackedFiles(root)
            .Where(f => CheckedTopFiles.Contains(f) || CheckedRoots.Any(r => f.StartsWith(r, StringComparison.Ordinal)))
            .Where(f => !f.EndsWith(".md", StringComparison.OrdinalIgnoreCase))
            // This file holds bad paths on purpose, as fixtures of the check itself.
            .Where(f => !f.EndsWith("/" + nameof(SelfContainedRepositoryTests) + ".cs", StringComparison.Ordinal))
            .ToList();
        Assert.True(files.Count > 100, "expected the repository's files; found " + files.Count);
        var problems = new List<string>();
        foreach (var file in files)
        {
            var full = Path.Combine(root, file);
            if (!File.Exists(full)) continue;
            var depth = file.Count(c => c == '/');
            var lines = File.ReadAllLines(full);
            for (var i = 0; i < lines.Length; i++)
            {
                var line = lines[i];
                foreach (var why in Problems(line, depth)) problems.Add($"{file}:{i + 1}: {why}: {line.Trim()}");
            }
        }
        Assert.True(problems.Count == 0, "paths outside the repository:\n" + string.Join("\n", problems));
    }

    [Theory]
    [InlineData("var d = Path.Combine(RepoRoot, \"..\", \"shared\", \"x\");", 3)]
    [InlineData("$x = Join-Path $PSScriptRoot '../../other/x'", 1)]
    [InlineData("include ../../../elsewhere.cfg", 2)]
    [InlineData("cases = /work/shared/conformance", 1)]
    public void The_check_catches_paths_that_leave_the_repository(string line, int depth)
    {
        Assert.NotEmpty(Problems(line, depth));
    }

    [Theory]
    [InlineData("$m = Join-Path $PSScriptRoot '../out/VirtTest'", 1)]
    [InlineData("include ../pci_hotplug.cfg", 2)]
    [InlineData("mkdir -p /root/.ssh", 1)]
    [InlineData("only qcow2..smp2", 1)]
    public void The_check_lets_paths_inside_the_repository_pass(string line, int depth)
    {
        Assert.Empty(Problems(line, depth));
    }

    /// <param name="depth">How many folders the file is below the repository root.</param>
    private static IEnumerable<string> Problems(string line, int depth)
    {
        if (line.Contains(WorkFolder, StringComparison.Ordinal)) yield return "this machine's work folder";
        if (line.Contains(SharedSibling, StringComparison.Ordinal) || line.Contains(SharedSibling.Replace('/', '\\'), StringComparison.Ordinal))
            yield return "a sibling 'shared' folder";
        if (AboveRoot.IsMatch(line)) yield return "'..' above the repository root";
        foreach (Match m in Climb.Matches(line))
        {
            var ups = (m.Length + 1) / 3;
            if (ups > depth) yield return $"'{m.Value}' climbs {ups} folder(s) from a file {depth} below the root";
        }
    }

    private static IEnumerable<string> TrackedFiles(string root)
    {
        try
        {
            var psi = new ProcessStartInfo("git") { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = root };
            psi.ArgumentList.Add("ls-files");
            using var git = Process.Start(psi)!;
            var output = git.StandardOutput.ReadToEnd();
            git.WaitForExit();
            if (git.ExitCode == 0) return output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        }
        catch (System.ComponentModel.Win32Exception)
        {
            // No git (an exported tree): walk the folder instead.
        }
        return Directory.EnumerateFiles(root, "*", SearchOption.AllDirectories)
            .Select(f => Path.GetRelativePath(root, f).Replace('\\', '/'))
            .Where(f => !Regex.IsMatch(f, @"(^|/)(bin|obj|out|\.build|\.git|results)/"));
    }
}
