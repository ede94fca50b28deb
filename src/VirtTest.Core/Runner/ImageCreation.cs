using System.Diagnostics;
using VirtTest.Core.Config;
using VirtTest.Core.Vm;

namespace VirtTest.Core.Runner;

/// <summary>
/// Creates and removes a VM's images with <c>qemu-img</c> as params ask
/// (<c>create_image</c>, <c>force_create_image</c>, <c>image_size</c>, <c>image_format</c>,
/// <c>remove_image</c>, <c>qemu_img_binary</c>).
/// </summary>
public static class ImageCreation
{
    /// <summary>Creates the images of one VM that ask for it; returns the files created.</summary>
    public static async Task<IReadOnlyList<string>> CreateAsync(VirtParams vmParams, string vmName, CancellationToken ct)
    {
        var created = new List<string>();
        foreach (var image in vmParams.Objects("images"))
        {
            var ip = vmParams.ObjectParams(image);
            if (!IsYes(ip.Get("create_image"))) continue;
            var file = ImageFile.PathOf(ip, vmName, image);
            if (File.Exists(file) && !IsYes(ip.Get("force_create_image"))) continue;
            var size = ip.Get("image_size") is { Length: > 0 } s ? s
                : throw new VmParamException(vmName, "image_size_" + image, "", "create_image = yes needs image_size (e.g. 1G)");
            Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(file))!);
            var tool = ip.Get("qemu_img_binary") is { Length: > 0 } b ? b : "qemu-img";
            await RunAsync(tool, new[] { "create", "-q", "-f", ImageFile.Format(ip), file, size }, ct).ConfigureAwait(false);
            created.Add(file);
        }
        return created;
    }

    /// <summary>Deletes the images of one VM whose params say <c>remove_image = yes</c>.</summary>
    public static void Remove(VirtParams vmParams, string vmName)
    {
        foreach (var image in vmParams.Objects("images"))
        {
            var ip = vmParams.ObjectParams(image);
            if (!IsYes(ip.Get("remove_image"))) continue;
            var file = ImageFile.PathOf(ip, vmName, image);
            if (File.Exists(file)) File.Delete(file);
        }
    }

    internal static bool IsYes(string? value) => VmParamsReader.IsYes(value);

    private static async Task RunAsync(string tool, IReadOnlyList<string> args, CancellationToken ct)
    {
        var psi = new ProcessStartInfo(tool) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args) psi.ArgumentList.Add(a);
        Process process;
        try
        {
            process = Process.Start(psi) ?? throw new RunnerException($"Could not start {tool}.");
        }
        catch (System.ComponentModel.Win32Exception ex)
        {
            throw new RunnerException($"Could not run {tool} to create an image: {ex.Message} (install qemu-utils, or set qemu_img_binary).", ex);
        }
        using (process)
        {
            var stderr = process.StandardError.ReadToEndAsync(ct);
            var stdout = process.StandardOutput.ReadToEndAsync(ct);
            try
            {
                await process.WaitForExitAsync(ct).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                try { process.Kill(true); } catch (InvalidOperationException) { }
                throw;
            }
            await Task.WhenAll(stderr, stdout).ConfigureAwait(false);
            if (process.ExitCode != 0)
                throw new RunnerException($"{tool} {string.Join(' ', args)} failed with exit code {process.ExitCode}: {stderr.Result.Trim()}");
        }
    }
}
