namespace VirtTest.PowerShell.Internal;

/// <summary>
/// Where a test run finds Pester for its Pester specs when no Pester is loaded: the manifest in
/// <c>VIRTTEST_PESTER_PATH</c>, else a Pester 5+ installed as a module (PSModulePath, looked up
/// by the spec's wrapper), else the NuGet package cache (<c>$NUGET_PACKAGES</c> or
/// <c>~/.nuget/packages</c>, where <c>build.ps1</c> restores it). None of them: the test is
/// ERROR (set-up trouble) with what to install, never a test failure.
/// </summary>
internal static class PesterLocator
{
    public const string EnvironmentVariable = "VIRTTEST_PESTER_PATH";
    public static readonly Version MinimumVersion = new(5, 0);

    public const string InstallHint =
        "install it with 'Install-PSResource Pester' (or 'Install-Module Pester -MinimumVersion 5.0'), or set VIRTTEST_PESTER_PATH to a Pester.psd1";

    /// <summary>The explicit manifest (<c>VIRTTEST_PESTER_PATH</c>) when it exists, else null.</summary>
    public static string? Explicit() =>
        Environment.GetEnvironmentVariable(EnvironmentVariable) is { Length: > 0 } path && File.Exists(path) ? Path.GetFullPath(path) : null;

    /// <summary>Pester 5+ manifests in the NuGet package cache, newest first.</summary>
    public static IReadOnlyList<string> InNuGetCache()
    {
        var root = Environment.GetEnvironmentVariable("NUGET_PACKAGES") is { Length: > 0 } packages ? packages
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
        var pester = Path.Combine(root, "pester");
        if (!Directory.Exists(pester)) return Array.Empty<string>();
        return Directory.GetDirectories(pester)
            .Select(dir => (Dir: dir, Version: Version.TryParse(Path.GetFileName(dir).Split('-')[0], out var v) ? v : null))
            .Where(x => x.Version is not null && x.Version >= MinimumVersion && File.Exists(Path.Combine(x.Dir, "tools", "Pester.psd1")))
            .OrderByDescending(x => x.Version)
            .Select(x => Path.Combine(x.Dir, "tools", "Pester.psd1"))
            .ToList();
    }
}
