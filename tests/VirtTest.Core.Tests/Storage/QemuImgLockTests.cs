using System.Diagnostics;
using VirtTest.Core.Storage;

namespace VirtTest.Core.Tests.Storage;

/// <summary>
/// Images held by a running QEMU (TCG, paused with -S, no guest): qemu-img's lock errors become
/// <see cref="ImageLockedException"/> naming the image, and -U (ForceShare) still reads.
/// </summary>
[Trait("Category", "Qemu")]
public sealed class QemuImgLockTests : IAsyncLifetime
{
    private readonly ImageDir _dir = new();
    private readonly QemuImg _tool = new();
    private Process? _qemu;

    private string Base => _dir.File("base.qcow2");
    private string Top => _dir.File("top.qcow2");

    public async Task InitializeAsync()
    {
        await _tool.CreateAsync(Base, new ImageCreateOptions { Size = "16M" });
        await _tool.CreateAsync(Top, new ImageCreateOptions { BackingFile = Base });
        var psi = new ProcessStartInfo("qemu-system-x86_64") { UseShellExecute = false, RedirectStandardError = true, RedirectStandardOutput = true, RedirectStandardInput = true };
        foreach (var a in new[]
                 {
                     "-machine", "pc", "-accel", "tcg", "-nodefaults", "-display", "none", "-S", "-m", "64",
                     "-blockdev", $"driver=file,node-name=f0,filename={Top.Replace(",", ",,", StringComparison.Ordinal)}",
                     "-blockdev", "driver=qcow2,node-name=d0,file=f0",
                     "-device", "virtio-blk-pci,drive=d0",
                     // The QMP greeting comes once QEMU has set up every device (and taken the image's locks).
                     "-qmp", "stdio",
                 })
            psi.ArgumentList.Add(a);
        var greeted = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var stderr = new System.Text.StringBuilder();
        _qemu = Process.Start(psi)!;
        _qemu.OutputDataReceived += (_, e) => { if (e.Data?.Contains("\"QMP\"", StringComparison.Ordinal) == true) greeted.TrySetResult(); };
        _qemu.ErrorDataReceived += (_, e) => { lock (stderr) stderr.AppendLine(e.Data); };
        _qemu.BeginOutputReadLine();
        _qemu.BeginErrorReadLine();
        // No qemu-img before the greeting: its shared lock would make QEMU's own locking fail.
        var exited = _qemu.WaitForExitAsync();
        var first = await Task.WhenAny(greeted.Task, exited, Task.Delay(TimeSpan.FromSeconds(60)));
        Assert.True(first == greeted.Task, first == exited ? "QEMU exited before it held the image: " + stderr : "QEMU did not greet on QMP within 60 s");
        await Assert.ThrowsAsync<ImageLockedException>(() => _tool.GetInfoAsync(Top));
    }

    public async Task DisposeAsync()
    {
        if (_qemu is { } q)
        {
            try { q.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
            await q.WaitForExitAsync();
            q.Dispose();
        }
        _dir.Dispose();
    }

    [Fact]
    public async Task Reading_a_held_image_is_ImageLocked_naming_it_and_ForceShare_reads_it()
    {
        var info = await Assert.ThrowsAsync<ImageLockedException>(() => _tool.GetInfoAsync(Top));
        Assert.Equal((Top, Top), (info.Image, info.LockedFile));
        Assert.Equal(("ImageLocked", Core.VirtErrorCategory.ResourceBusy), (info.ErrorId, info.Category));
        Assert.Contains("-ForceShare", info.Message);

        var check = await Assert.ThrowsAsync<ImageLockedException>(() => _tool.CheckAsync(Top));
        Assert.Equal(Top, check.Image);

        Assert.Equal(Base, (await _tool.GetInfoAsync(Top, forceShare: true)).FullBackingFile);
        Assert.True((await _tool.CheckAsync(Top, forceShare: true)).IsClean);
        await Assert.ThrowsAsync<ImageArgumentException>(() => _tool.CheckAsync(Top, repair: ImageRepair.All, forceShare: true));
    }

    [Fact]
    public async Task Changing_a_held_image_is_ImageLocked_and_leaves_it_unchanged()
    {
        var resize = await Assert.ThrowsAsync<ImageLockedException>(() => _tool.ResizeAsync(Top, "32M"));
        Assert.Equal(Top, resize.LockedFile);
        Assert.DoesNotContain("-ForceShare", resize.Message);
        await Assert.ThrowsAsync<ImageLockedException>(() => _tool.NewSnapshotAsync(Top, "s"));
        await Assert.ThrowsAsync<ImageLockedException>(() => _tool.CommitAsync(Top));
        await Assert.ThrowsAsync<ImageLockedException>(() => _tool.CreateAsync(Top, new ImageCreateOptions { Size = "1M" }, overwrite: true));
        var info = await _tool.GetInfoAsync(Top, forceShare: true);
        Assert.Equal((16L << 20, 0), (info.VirtualSize, info.Snapshots.Count));
    }

    [Fact]
    public async Task A_backing_file_under_a_running_VM_is_named_as_the_locked_file()
    {
        // QEMU holds the base read-only and shares reads: writing it is refused, naming the base.
        var resize = await Assert.ThrowsAsync<ImageLockedException>(() => _tool.ResizeAsync(Base, "32M"));
        Assert.Equal(Base, resize.LockedFile);
        Assert.Equal(16L << 20, (await _tool.GetInfoAsync(Base)).VirtualSize);
    }
}
