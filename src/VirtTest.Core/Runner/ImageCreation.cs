using VirtTest.Core.Config;
using VirtTest.Core.Storage;
using VirtTest.Core.Vm;

namespace VirtTest.Core.Runner;

/// <summary>
/// Creates and removes a VM's images (one per name in <c>images</c>) as the params ask, with
/// the same qemu-img layer as the image cmdlets (<see cref="QemuImg"/>). Params (established
/// names, per image with the <c>_&lt;image&gt;</c> suffix): <c>create_image</c>,
/// <c>force_create_image</c>, <c>image_size</c>, <c>image_format</c>, <c>image_cluster_size</c>
/// and <c>preallocated</c> (qcow2 only, as the reference does), <c>image_extra_params</c>
/// (more <c>-o</c> options), a backing file from <c>image_chain</c> (the tag before this one)
/// or from <c>has_backing_file = yes</c> with the <c>backing_file</c> image's params
/// (<c>image_name_backing_file</c>, <c>image_format_backing_file</c>), <c>remove_image</c>,
/// <c>qemu_img_binary</c>.
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
            if (!ip.GetBool("create_image")) continue;
            var file = ImageFile.PathOf(ip, vmName, image);
            if (File.Exists(file) && !ip.GetBool("force_create_image")) continue;
            var options = CreateOptions(vmParams, ip, vmName, image);
            Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(file))!);
            await QemuImg.FromParams(ip).CreateAsync(file, options, overwrite: true, ct).ConfigureAwait(false);
            created.Add(file);
        }
        return created;
    }

    /// <summary>The qemu-img create options of one image, from its params; bad values name their param.</summary>
    internal static ImageCreateOptions CreateOptions(VirtParams vmParams, VirtParams ip, string vmName, string image)
    {
        var format = ImageFile.Format(ip);
        var (backing, backingFormat) = BackingOf(vmParams, ip, vmName, image);
        var size = ip.Get("image_size") is { Length: > 0 } s ? s : null;
        if (size is null && backing is null)
            throw new VmParamException(vmName, "image_size_" + image, "", "create_image = yes needs image_size (e.g. 1G) unless the image has a backing file");
        if (size is not null && ImageSize.TryParse(size) is null)
            throw new VmParamException(vmName, "image_size_" + image, size, "not a size (bytes, or a number with K, M, G, T, P or E: 10G, 512M)");
        ImagePreallocation? preallocation = null;
        string? clusterSize = null;
        if (format == "qcow2")
        {
            if (ip.Get("preallocated") is { Length: > 0 } p && !string.Equals(p, "off", StringComparison.OrdinalIgnoreCase))
            {
                preallocation = Enum.TryParse<ImagePreallocation>(p, ignoreCase: true, out var mode) && !p.All(char.IsAsciiDigit) ? mode
                    : throw new VmParamException(vmName, "preallocated_" + image, p, "not a preallocation mode", new[] { "off", "metadata", "falloc", "full" });
            }
            if (ip.Get("image_cluster_size") is { Length: > 0 } c)
            {
                clusterSize = ImageSize.TryParse(c) is not null ? c
                    : throw new VmParamException(vmName, "image_cluster_size_" + image, c, "not a size (e.g. 64K, 2M)");
            }
        }
        return new ImageCreateOptions
        {
            Format = format,
            Size = size,
            BackingFile = backing,
            BackingFormat = backingFormat,
            Preallocation = preallocation,
            ClusterSize = clusterSize,
            ExtraOptions = ip.Get("image_extra_params") is { Length: > 0 } extra ? extra : null,
        };
    }

    /// <summary>
    /// The backing file of an image, as the reference reads it: the tag before this one in
    /// <c>image_chain</c>, else the <c>backing_file</c> image when <c>has_backing_file = yes</c>.
    /// </summary>
    private static (string? File, string? Format) BackingOf(VirtParams vmParams, VirtParams ip, string vmName, string image)
    {
        var chain = ip.Objects("image_chain");
        var index = chain.ToList().IndexOf(image);
        if (index > 0)
        {
            var baseTag = chain[index - 1];
            var baseParams = vmParams.ObjectParams(baseTag);
            return (Path.GetFullPath(ImageFile.PathOf(baseParams, vmName, baseTag)), ImageFile.Format(baseParams));
        }
        if (ip.GetBool("has_backing_file"))
        {
            var backingParams = ip.ObjectParams("backing_file");
            if (backingParams.Get("image_name") is not { Length: > 0 } && backingParams.Get("image_filename") is not { Length: > 0 })
                throw new VmParamException(vmName, "image_name_backing_file", "", $"has_backing_file = yes for image '{image}' needs the backing image's name");
            return (Path.GetFullPath(ImageFile.PathOf(backingParams, vmName, "backing_file")), ImageFile.Format(backingParams));
        }
        return (null, null);
    }

    /// <summary>Deletes the images of one VM whose params say <c>remove_image = yes</c>.</summary>
    public static void Remove(VirtParams vmParams, string vmName)
    {
        foreach (var image in vmParams.Objects("images"))
        {
            var ip = vmParams.ObjectParams(image);
            if (!ip.GetBool("remove_image")) continue;
            var file = ImageFile.PathOf(ip, vmName, image);
            if (File.Exists(file)) File.Delete(file);
        }
    }
}
