using VirtTest.Core.Config;
using VirtTest.Core.Runner;
using VirtTest.Core.Tests.Storage;
using VirtTest.Core.Vm;

namespace VirtTest.Core.Tests.Runner;

/// <summary>
/// check_image while the VM still runs (kill_vm = no), on a real QEMU without a guest (TCG,
/// BIOS only): the VM is paused for a shared-lock check and resumed, leaks only warn,
/// corruptions make the test ERROR, skip_image_check_during_running skips it.
/// </summary>
[Trait("Category", "Qemu")]
public sealed class ImageCheckRunningVmTests : IDisposable
{
    private readonly ImageDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private static VirtParams T(string name, string type, params (string Key, string Value)[] extra) =>
        NoGuestVmTest.Params(name, type, new[]
        {
            ("images", "image1"), ("image_name", "live"), ("create_image", "yes"), ("image_size", "16M"), ("check_image", "yes"),
        }.Concat(extra).ToArray());

    private static Qcow2Metadata ImageOf(TestContext c) =>
        new(ImageFile.PathOf(EnvProcessor.VmParams(c.Params, "vm1", c.Env).ObjectParams("image1"), "vm1", "image1"));

    [Fact]
    public async Task A_running_VMs_image_is_checked_paused_with_leaks_as_warnings_and_the_VM_resumed()
    {
        var states = new List<VmState>();
        var pids = new List<int?>();
        var bodies = new Dictionary<string, Func<TestContext, CancellationToken, Task>>
        {
            ["leak"] = (c, _) => { pids.Add(c.Env.GetVm("vm1")!.ProcessId); ImageOf(c).LeakOneCluster(); return Task.CompletedTask; },
            ["state"] = async (c, ct) => { pids.Add(c.Env.GetVm("vm1")!.ProcessId); states.Add(await c.Env.GetVm("vm1")!.RefreshStateAsync(ct)); },
            ["corrupt"] = (c, _) => { var m = ImageOf(c); m.SetRefcount(m.L1Cluster, 0); return Task.CompletedTask; },
        };
        var (run, byName) = await DelegateExecutor.RunOneByOneAsync(new[]
        {
            T("leak-live", "leak"),
            T("still-running", "state"),
            T("corrupt-live", "corrupt"),
            T("corrupt-unchecked", "corrupt", ("force_create_image", "yes"), ("skip_image_check_during_running", "yes")),
        }, Path.Combine(_dir.Path, "results"), bodies);

        Assert.Equal(TestStatus.Pass, byName["leak-live"].Status);
        var log = await File.ReadAllTextAsync(Path.Combine(run.Results.Path, byName["leak-live"].Directory, "debug.log"));
        Assert.Contains("1 leaked cluster (only a warning: the VM still runs)", log);
        // The next test got the same VM back, running (paused for the check, then resumed).
        Assert.Equal(TestStatus.Pass, byName["still-running"].Status);
        Assert.Equal(new[] { VmState.Running }, states);
        Assert.Equal(2, pids.Count);
        Assert.NotNull(pids[0]);
        Assert.Equal(pids[0], pids[1]);
        Assert.Equal(TestStatus.Error, byName["corrupt-live"].Status);
        Assert.Contains("1 corruption", byName["corrupt-live"].Reason);
        Assert.Equal(TestStatus.Pass, byName["corrupt-unchecked"].Status);
    }
}
