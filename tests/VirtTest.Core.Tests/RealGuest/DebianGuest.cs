using System.Text.RegularExpressions;
using VirtTest.Core.Config;
using VirtTest.Core.Session;
using VirtTest.Core.Vm;

namespace VirtTest.Core.Tests.RealGuest;

/// <summary>
/// The Debian 12 guest (build/New-DebianGuest.ps1) as users reach it: params from
/// <c>examples/guests/debian12.cfg</c>, booted from its disk image.
/// </summary>
internal static class DebianGuest
{
    /// <summary>Boot (or reboot) to the serial login prompt: ~40-60 s under TCG on an idle machine, minutes on a crowded one.</summary>
    public static readonly TimeSpan BootTimeout = TimeSpan.FromSeconds(420);
    public static readonly TimeSpan Short = TimeSpan.FromSeconds(60);
    public const string UserName = "vtuser";
    public const string UserPassword = "Debian12-User-Pw";
    public const string RootPassword = "Debian12-Root-Pw";

    /// <summary>getty's prompt on the serial console ("debian12 login: ").</summary>
    public static readonly Regex LoginPrompt = new(@"debian12 login: ", RegexOptions.Multiline);

    public static string ConfigPath
    {
        get
        {
            for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            {
                var candidate = Path.Combine(dir.FullName, "examples", "guests", "debian12.cfg");
                if (File.Exists(candidate)) return candidate;
            }
            throw new FileNotFoundException("examples/guests/debian12.cfg not found above " + AppContext.BaseDirectory);
        }
    }

    /// <summary>The example config's params for VM <paramref name="name"/>, with <paramref name="extra"/> lines parsed after it.</summary>
    public static VirtParams Params(string name, string extra = "")
    {
        var cfg = new CartesianConfig();
        cfg.ParseFile(ConfigPath);
        cfg.ParseString($"vms = {name}\nmain_vm = {name}\n{extra}", "test.cfg");
        return cfg.Expand().Single();
    }

    /// <summary>Starts the VM and waits for the login prompt on its console; kills it on failure.</summary>
    public static async Task<VirtualMachine> BootAsync(VirtParams p, string name)
    {
        var vm = VirtualMachine.FromParams(p, name);
        try
        {
            await vm.StartAsync();
            await vm.WaitForConsoleAsync(LoginPrompt, BootTimeout);
            return vm;
        }
        catch
        {
            await vm.DisposeAsync();
            throw;
        }
    }

    public static async Task<string> RunAsync(GuestSession s, string command)
    {
        var r = await s.CmdStatusOutputAsync(command, Short);
        Assert.True(r.ExitCode == 0, $"'{command}' exited with {r.ExitCode}: {r.Output}");
        return r.Output.Trim();
    }
}

/// <summary>Runs the tests of a class in the order of their <see cref="StepAttribute"/>: they share one boot and the last ones change it.</summary>
public sealed class StepOrderer : Xunit.Sdk.ITestCaseOrderer
{
    public const string TypeName = "VirtTest.Core.Tests.RealGuest.StepOrderer";
    public const string AssemblyName = "VirtTest.Core.Tests";

    public IEnumerable<TTestCase> OrderTestCases<TTestCase>(IEnumerable<TTestCase> testCases) where TTestCase : Xunit.Abstractions.ITestCase =>
        testCases.OrderBy(t => t.TestMethod.Method.GetCustomAttributes(typeof(StepAttribute).AssemblyQualifiedName!)
            .Select(a => a.GetNamedArgument<int>(nameof(StepAttribute.Order))).DefaultIfEmpty(int.MaxValue).First());
}

[AttributeUsage(AttributeTargets.Method)]
public sealed class StepAttribute : Attribute
{
    public int Order { get; set; }
}
