using VirtTest.Core.Config;
using VirtTest.Core.Runner;
using VirtTest.Core.Tests.Storage;

namespace VirtTest.Core.Tests.Runner;

/// <summary>
/// The runner's crash watch with real QEMU VMs without a guest (TCG, BIOS only): the kernel's
/// console text is written into the VM's console log by the test body, as a guest's serial
/// output would be, so that its length and the moment it appears are the test's to choose.
/// </summary>
[Trait("Category", "Qemu")]
public sealed class KernelCrashWatchTests : IDisposable
{
    private const string Panic =
        "[   48.691230] sysrq: Trigger a crash\r\n" +
        "[   48.693485] Kernel panic - not syncing: sysrq triggered crash\r\n" +
        "[   48.699947] Call Trace:\r\n" +
        "[   48.721937] ---[ end Kernel panic - not syncing: sysrq triggered crash ]---\r\n";

    private readonly ImageDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private static VirtParams T(string name, string type, params (string Key, string Value)[] extra) =>
        NoGuestVmTest.Params(name, type, extra.Prepend(("test_timeout", "40")).ToArray());

    [Fact]
    public async Task A_panic_in_the_console_text_of_a_VM_restarted_under_the_same_name_ends_the_test_as_FAIL_at_once()
    {
        var logs = new List<string>();
        var bodies = new Dictionary<string, Func<TestContext, CancellationToken, Task>>
        {
            // A long first boot: its log ends far beyond where the next VM's panic will be.
            ["chatty"] = (c, _) =>
            {
                var log = c.Env.GetVm("vm1")!.ConsoleLogPath!;
                logs.Add(log);
                File.AppendAllText(log, string.Concat(Enumerable.Repeat("[    1.000000] a line of a long boot log\r\n", 4000)));
                return Task.CompletedTask;
            },
            ["panic"] = async (c, ct) =>
            {
                var log = c.Env.GetVm("vm1")!.ConsoleLogPath!;
                logs.Add(log);
                await File.AppendAllTextAsync(log, Panic, CancellationToken.None);
                await Task.Delay(Timeout.Infinite, ct);   // the watch ends the test
            },
        };
        var (_, byName) = await DelegateExecutor.RunOneByOneAsync(
            new[] { T("chatty", "chatty"), T("restarted", "panic", ("kill_vm_before_test", "yes")) }, Path.Combine(_dir.Path, "results"), bodies);

        Assert.Equal(TestStatus.Pass, byName["chatty"].Status);
        // A new VM of the same name, with a log of its own, shorter than the first one's.
        Assert.Equal(2, logs.Count);
        Assert.NotEqual(logs[0], logs[1]);
        Assert.True(new FileInfo(logs[1]).Length < new FileInfo(logs[0]).Length);
        var crashed = byName["restarted"];
        Assert.Equal(TestStatus.Fail, crashed.Status);
        Assert.Contains("VM 'vm1': the guest kernel crashed", crashed.Reason);
        Assert.Contains("Kernel panic - not syncing: sysrq triggered crash", crashed.Reason);
        // Ended by the watch, not by the test's timeout (which would make it ERROR).
        Assert.DoesNotContain("timed out", crashed.Reason);
    }
}
