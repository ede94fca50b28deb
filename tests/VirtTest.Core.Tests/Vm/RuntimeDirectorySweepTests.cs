using System.Diagnostics;
using VirtTest.Core.Tests.Config;
using VirtTest.Core.Vm;
using Xunit;

namespace VirtTest.Core.Tests.Vm;

/// <summary>
/// Runtime directories left by a process that was killed before it could clean up (a crashed
/// Slurm node's jobs, an OOM kill) are removed by the next VirtTest that creates one; nothing
/// that might still be in use is.
/// </summary>
public sealed class RuntimeDirectorySweepTests
{
    /// <summary>The owner line of a process that ran and has exited (its id is free or reused now).</summary>
    private static string DeadOwner()
    {
        using var p = Process.Start(new ProcessStartInfo("sleep", "0.3") { UseShellExecute = false })!;
        var line = StaleOwners.Describe(p.Id);
        p.WaitForExit();
        Assert.NotNull(line);
        return line!;
    }

    [Fact]
    public void RemovesDirectoriesOfDeadOwnersAndKeepsLiveOrUnknownOnes()
    {
        using var root = new TempDir();
        string Dir(string name, string? owner, string? qemuPid = null)
        {
            var d = Path.Combine(root.Path, name);
            Directory.CreateDirectory(d);
            File.WriteAllText(Path.Combine(d, "serial.log"), "boot\n");
            if (owner is not null) File.WriteAllText(Path.Combine(d, RuntimeDirectory.OwnerFileName), owner);
            if (qemuPid is not null) File.WriteAllText(Path.Combine(d, "qemu.pid"), qemuPid + "\n");
            return d;
        }
        var dead = Dir("vm1-dead", DeadOwner());
        var live = Dir("vm1-live", StaleOwners.Current());
        var unknown = Dir("vm1-unknown", owner: null);
        var otherBoot = Dir("vm1-otherboot", StaleOwners.Current()!.Replace(File.ReadAllText("/proc/sys/kernel/random/boot_id").Trim(), "00000000-0000-0000-0000-000000000000"));
        var pidReused = Dir("vm1-reused", $"{Environment.ProcessId} 1 {new FileInfo("/proc/self/ns/pid").LinkTarget} {File.ReadAllText("/proc/sys/kernel/random/boot_id").Trim()}\n");
        // A dead owner whose QEMU still runs (an orphan): left for someone to look at, not pulled from under it.
        var orphan = Dir("vm1-orphan", DeadOwner(), qemuPid: Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture));

        Assert.Equal(2, RuntimeDirectory.SweepStale(root.Path));
        Assert.False(Directory.Exists(dead));
        Assert.False(Directory.Exists(pidReused)); // same id, other start time: not the owner
        Assert.True(Directory.Exists(live));
        Assert.True(Directory.Exists(unknown));
        Assert.True(Directory.Exists(otherBoot));
        Assert.True(Directory.Exists(orphan));
    }

    [Fact]
    public void ANewRuntimeDirectoryNamesThisProcessAsItsOwner()
    {
        using var dir = RuntimeDirectory.Create("sweep-owner");
        var owner = File.ReadAllText(dir.File(RuntimeDirectory.OwnerFileName));
        Assert.StartsWith(Environment.ProcessId + " ", owner);
        Assert.False(StaleOwners.IsGone(owner));
        RuntimeDirectory.SweepStale(RuntimeDirectory.Root);
        Assert.True(Directory.Exists(dir.Path));
    }
}
