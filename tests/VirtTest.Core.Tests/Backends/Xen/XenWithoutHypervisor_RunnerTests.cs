using VirtTest.Core.Backends.Xen;
using VirtTest.Core.Config;
using VirtTest.Core.Tests.Config;
using VirtTest.Core.Vm;
using Xunit;

namespace VirtTest.Core.Tests.Backends.Xen;

/// <summary>
/// The real xl runner's error paths, with xl missing (it is not installed on these machines)
/// and with small stand-in scripts in its place. No Xen host and no real xl.
/// </summary>
public sealed class XenWithoutHypervisor_RunnerTests : IDisposable
{
    // Beside the test assembly, not in the temp folder: a temp folder may be mounted noexec,
    // and the repository's own file system runs scripts (.ci/run) anyway.
    private readonly string _dir = Directory.CreateDirectory(Path.Combine(AppContext.BaseDirectory, "xl-stand-ins", Guid.NewGuid().ToString("N"))).FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string Script(string name, string body)
    {
        var path = Path.Combine(_dir, name);
        File.WriteAllText(path, "#!/bin/sh\n" + body + "\n");
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        return path;
    }

    [Fact]
    public async Task MissingXlIsATypedErrorThatSaysWhatToInstall()
    {
        var runner = new XlProcessRunner("xl-not-installed-virttest");
        var ex = await Assert.ThrowsAsync<XenToolstackNotFoundException>(() => runner.RunAsync(new[] { "list" }, TimeSpan.FromSeconds(5), default));
        Assert.Contains("not found on PATH", ex.Message);
        Assert.Contains("apt-get install xen-utils", ex.Message);
        Assert.Equal(new[] { "list" }, ex.Command);
        await Assert.ThrowsAsync<XenToolstackNotFoundException>(() => runner.OpenTerminalAsync(new[] { "console", "d" }, default));
    }

    [Fact]
    public async Task StartingAXenVmWithoutXlFailsTypedAndLeavesNoRuntimeDirectory()
    {
        var backend = new XenBackend(new XlProcessRunner("xl-not-installed-virttest"));
        var driver = (XenVmDriver)backend.CreateDriver("vm1", new VirtParams(new Dictionary<string, string> { ["vm_type"] = "xen" }));
        await Assert.ThrowsAsync<XenToolstackNotFoundException>(() => driver.StartAsync(false, default));
        Assert.NotNull(driver.ConfigPath);
        Assert.False(Directory.Exists(Path.GetDirectoryName(driver.ConfigPath!)));
        Assert.NotEqual(VmState.Running, driver.State);
    }

    [Fact]
    public async Task FailingXlIsATypedErrorWithItsCommandAndStderr()
    {
        var xl = Script("xl", "echo \"libxl: error: cannot $1 $4\" >&2\nexit 3");
        var backend = new XenBackend(new XlProcessRunner(xl));
        var driver = (XenVmDriver)backend.CreateDriver("vm1", new VirtParams(new Dictionary<string, string> { ["vm_type"] = "xen" }));
        var ex = await Assert.ThrowsAsync<XenToolstackException>(() => driver.StartAsync(false, default));
        Assert.Equal(3, ex.ExitCode);
        Assert.Equal(new[] { "create", "-p", "-f", driver.ConfigPath! }, ex.Command);
        Assert.Contains($"libxl: error: cannot create {driver.ConfigPath}", ex.Stderr);
        Assert.Contains("failed with exit code 3", ex.Message);
    }

    [Fact]
    public async Task ArgumentsReachXlUnsplitAndUnexpanded()
    {
        var xl = Script("xl", "for a in \"$@\"; do printf '<%s>' \"$a\"; done");
        var result = await new XlProcessRunner(xl).RunAsync(new[] { "create", "/tmp/a b;$(x)", "-p" }, TimeSpan.FromSeconds(10), default);
        Assert.Equal(0, result.ExitCode);
        Assert.Equal("<create></tmp/a b;$(x)><-p>", result.Stdout);
    }

    [Fact]
    public async Task XlThatHangsIsKilledAtTheTimeout()
    {
        var xl = Script("xl", "exec tail -f /dev/null");
        var ex = await Assert.ThrowsAsync<XenToolstackException>(() => new XlProcessRunner(xl).RunAsync(new[] { "shutdown", "-w", "d" }, TimeSpan.FromMilliseconds(500), default));
        Assert.Null(ex.ExitCode);
        Assert.Contains("did not finish within 0.5 s", ex.Message);
    }

    [Fact]
    public async Task ConsoleRunsOnATerminalWithItsArgumentsAndTheStreamIsItsInputAndOutput()
    {
        // xl console refuses to run without a terminal: the stand-in reports what its stdin is.
        var xl = Script("xl", "read line\nif [ -t 0 ]; then t=tty; else t=pipe; fi\necho \"got:$line:$t:$*\"");
        await using var stream = await new XlProcessRunner(xl).OpenTerminalAsync(new[] { "console", "-t", "pv", "d'; echo x" }, default);
        await stream.WriteAsync("hello\n"u8.ToArray());
        var reader = new StreamReader(stream);
        string? line;
        do line = await reader.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(10));
        while (line is not null && !line.StartsWith("got:", StringComparison.Ordinal));
        Assert.Equal("got:hello:tty:console -t pv d'; echo x", line?.TrimEnd('\r'));
    }
}
