using System.Text.RegularExpressions;

namespace VirtTest.Core.Vm;

/// <summary>
/// Host paths in params may name an environment variable as <c>${NAME}</c>, so a shared config
/// (such as <c>examples/guests/debian12.cfg</c>) can point into a folder that differs per
/// machine or clone. The Cartesian config leaves a <c>${NAME}</c> that is no param as written;
/// it is expanded here, when the path is used.
/// </summary>
public static partial class HostPath
{
    /// <summary>
    /// Expands <c>${NAME}</c> references. <c>${VIRTTEST_TEST_GUEST}</c> is the test guests' folder
    /// (the variable, or the <c>.build/guest</c> folder VirtTest finds as <c>New-VirtVm -TestGuest</c>
    /// does); any other name must be a set environment variable.
    /// </summary>
    /// <param name="vmName">The VM, for the error.</param>
    /// <param name="param">The param holding the path, for the error.</param>
    /// <param name="path">The param's value.</param>
    public static string Expand(string vmName, string param, string path)
    {
        if (!path.Contains("${", StringComparison.Ordinal)) return path;
        return Reference().Replace(path, m =>
        {
            var name = m.Groups[1].Value;
            if (Environment.GetEnvironmentVariable(name) is { Length: > 0 } value) return value;
            if (name == TestGuest.EnvironmentVariable && TestGuest.TryLocateDirectory() is { } guests) return guests;
            throw new VmParamException(vmName, param, path, name == TestGuest.EnvironmentVariable
                ? $"${{{name}}} names the test guests' folder, and none was found: set the environment variable {name}, or build the guests with 'dotnet pwsh ./build.ps1 -Task Guest'"
                : $"the environment variable {name} is not set");
        });
    }

    [GeneratedRegex(@"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")]
    private static partial Regex Reference();
}
