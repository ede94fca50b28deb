using VirtTest.Core.Config;
using VirtTest.Core.Storage;
using VirtTest.Core.Vm;

namespace VirtTest.Core.Runner;

/// <summary>
/// <c>check_image = yes</c>: after the test (once its VMs were stopped as <c>kill_vm</c> says),
/// <c>qemu-img check</c> on each qcow2/qed image of each VM, as the reference does: an image of
/// a VM still running is checked with the VM paused and the lock shared (<c>-U</c>), leaked
/// clusters then only warn (QEMU may hold clusters it has not written yet), and
/// <c>skip_image_check_during_running = yes</c> skips it; an image with lazy refcounts is not
/// checked while its VM runs. Returns the failures; the runner makes a passed test ERROR with
/// them (a failed test stays FAIL: its own failure says more), after the images are removed
/// as <c>remove_image</c> says. <c>skip_cluster_leak_warn = yes</c> makes leaks warnings
/// always; <c>skip_image_processing = yes</c> skips the check.
/// </summary>
public static class ImageCheckAfterTest
{
    private static readonly string[] CheckableFormats = { "qcow2", "qed" };

    public static async Task<IReadOnlyList<string>> CheckAsync(VirtParams vmParams, string vmName, VirtualMachine? vm, TestLog log, CancellationToken ct)
    {
        var failures = new List<string>();
        if (vmParams.GetBool("skip_image_processing")) return failures;
        var images = vmParams.Objects("images").Where(i => vmParams.ObjectParams(i).GetBool("check_image")).ToList();
        if (images.Count == 0) return failures;

        var running = vm is { State: VmState.Running or VmState.Paused };
        var pausedHere = false;
        if (vm is { State: VmState.Running } && vm.Supports(VmCapability.Pause))
        {
            try
            {
                await vm.PauseAsync(ct).ConfigureAwait(false);
                pausedHere = true;
            }
            catch (Exception ex) when (ex is VirtTestException or IOException)
            {
                log.Write($"{vmName}: could not pause the VM for the image check ({ex.Message}); checking with the VM running", "WARN");
            }
        }
        try
        {
            foreach (var image in images)
            {
                var ip = vmParams.ObjectParams(image);
                if (await CheckOneAsync(ip, vmName, image, running, log, ct).ConfigureAwait(false) is { } failure) failures.Add(failure);
            }
        }
        finally
        {
            if (pausedHere && vm!.State == VmState.Paused)
            {
                try { await vm.ResumeAsync(ct).ConfigureAwait(false); }
                catch (Exception ex) when (ex is VirtTestException or IOException) { log.Write($"{vmName}: could not resume the VM after the image check: {ex.Message}", "WARN"); }
            }
        }
        return failures;
    }

    private static async Task<string?> CheckOneAsync(VirtParams ip, string vmName, string image, bool vmRunning, TestLog log, CancellationToken ct)
    {
        var format = ImageFile.Format(ip);
        var file = ImageFile.PathOf(ip, vmName, image);
        if (!CheckableFormats.Contains(format, StringComparer.OrdinalIgnoreCase))
        {
            log.Write($"{vmName}: image {image} ({format}) has no metadata to check; check_image skipped");
            return null;
        }
        if (!File.Exists(file))
        {
            log.Write($"{vmName}: image {image} ({file}) does not exist; check_image skipped");
            return null;
        }
        var tool = QemuImg.FromParams(ip);
        try
        {
            if (vmRunning)
            {
                if (ip.GetBool("skip_image_check_during_running"))
                {
                    log.Write($"{vmName}: image {image} not checked while the VM runs (skip_image_check_during_running)");
                    return null;
                }
                var info = await tool.GetInfoAsync(file, format, forceShare: true, ct).ConfigureAwait(false);
                if (info.LazyRefcounts == true)
                {
                    log.Write($"{vmName}: image {image} has lazy refcounts, which are only consistent once QEMU closed it; not checked while the VM runs");
                    return null;
                }
            }
            var result = await tool.CheckAsync(file, format, ImageRepair.None, forceShare: true, ct).ConfigureAwait(false);
            foreach (var line in result.Messages) log.Write($"{vmName}: qemu-img check {image}: {line}", result.IsClean ? "INFO" : "WARN");
            if (result.IsClean)
            {
                log.Write($"{vmName}: image {image} ({file}) checked: clean");
                return null;
            }
            var leaksOnly = result.Corruptions == 0 && result.CheckErrors == 0;
            if (leaksOnly && (vmRunning || ip.GetBool("skip_cluster_leak_warn")))
            {
                log.Write($"{vmName}: image {image} ({file}): {result.Describe()} (only a warning: "
                    + (vmRunning ? "the VM still runs" : "skip_cluster_leak_warn = yes") + ")", "WARN");
                return null;
            }
            var failure = new ImageCheckFailedException(file, result).Message;
            log.Write($"{vmName}: {failure}", "ERROR");
            return failure;
        }
        catch (StorageException ex)
        {
            log.Write($"{vmName}: check_image of {image}: {ex.Message}", "ERROR");
            return ex.Message;
        }
    }
}
