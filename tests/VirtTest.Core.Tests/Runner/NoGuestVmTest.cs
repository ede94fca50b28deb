using VirtTest.Core.Config;

namespace VirtTest.Core.Tests.Runner;

/// <summary>
/// The params of a runner test with one VM that boots no guest (QEMU's BIOS only, 64 MiB): the
/// VM starts, no session logs in, and it is kept for the next test.
/// </summary>
internal static class NoGuestVmTest
{
    public static VirtParams Params(string name, string type, params (string Key, string Value)[] extra)
    {
        var p = new VirtParams
        {
            ["name"] = name, ["shortname"] = name, ["dep"] = "", ["type"] = type,
            ["vms"] = "vm1", ["start_vm"] = "yes", ["test_session"] = "no", ["mem"] = "64", ["kill_vm"] = "no",
        };
        foreach (var (k, v) in extra) p[k] = v;
        return p;
    }
}
