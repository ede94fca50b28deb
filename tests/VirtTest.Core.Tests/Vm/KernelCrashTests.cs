using VirtTest.Core.Vm;

namespace VirtTest.Core.Tests.Vm;

/// <summary>Kernel crash reports found in console output (the text as Linux prints it on a serial console).</summary>
public sealed class KernelCrashTests
{
    private const string Panic = "root@debian12:~# echo c > /proc/sysrq-trigger\r\n" +
        "[   97.115871] sysrq: Trigger a crash\r\n" +
        "[   97.116318] Kernel panic - not syncing: sysrq triggered crash\r\n" +
        "[   97.116838] CPU: 0 PID: 612 Comm: bash Not tainted 6.1.0-57-cloud-amd64 #1  Debian 6.1.192-3\r\n" +
        "[   97.117574] Call Trace:\r\n" +
        "[   97.117812]  <TASK>\r\n" +
        "[   97.118016]  dump_stack_lvl+0x44/0x5c\r\n" +
        "[   97.118360]  panic+0x118/0x2ed\r\n" +
        "[   97.121580] ---[ end Kernel panic - not syncing: sysrq triggered crash ]---\r\n" +
        "garbage after the report\r\n";

    [Fact]
    public void A_panic_is_found_with_its_trace_up_to_the_end_line()
    {
        var report = KernelCrash.Find(Panic);
        Assert.NotNull(report);
        Assert.Contains("Kernel panic - not syncing: sysrq triggered crash", report);
        Assert.Contains("panic+0x118/0x2ed", report);
        Assert.EndsWith("---[ end Kernel panic - not syncing: sysrq triggered crash ]---", report);
        Assert.DoesNotContain("garbage", report);
        Assert.DoesNotContain("\r", report);
    }

    [Theory]
    [InlineData("[ 1.0] BUG: kernel NULL pointer dereference, address: 0000000000000000")]
    [InlineData("[ 1.0] Oops: 0002 [#1] PREEMPT SMP NOPTI")]
    [InlineData("[ 1.0] general protection fault, probably for non-canonical address 0xdead")]
    [InlineData("[ 1.0] \x1b[31mCall Trace:\x1b[0m")]
    public void Oopses_bugs_and_call_traces_are_found(string line)
    {
        Assert.NotNull(KernelCrash.Find("login: root\n" + line + "\n[ 1.1]  foo+0x1/0x2\n"));
    }

    [Fact]
    public void Ordinary_output_is_no_crash()
    {
        Assert.Null(KernelCrash.Find("debian12 login: root\nPassword:\nroot@debian12:~# echo BUG-free; grep -c Oops notes.txt\nBUG-free\n0\n"));
        Assert.Null(KernelCrash.Find(""));
    }
}
