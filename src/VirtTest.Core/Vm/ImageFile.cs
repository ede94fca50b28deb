using VirtTest.Core.Config;

namespace VirtTest.Core.Vm;

/// <summary>
/// Where a VM image lives, from its object params (<c>image_filename</c>, else
/// <c>image_name</c> + "." + <c>image_format</c>, relative to <c>images_base_dir</c>; each may
/// name an environment variable as <c>${NAME}</c>, see <see cref="HostPath"/>): one rule for
/// every backend and for the runner that creates and removes images.
/// </summary>
public static class ImageFile
{
    public const string DefaultFormat = "qcow2";

    public static string Format(VirtParams imageParams) =>
        imageParams.Get("image_format") is { Length: > 0 } f ? f : DefaultFormat;

    /// <summary>The image's path; <paramref name="vmName"/> and <paramref name="image"/> only name the param in errors.</summary>
    public static string PathOf(VirtParams imageParams, string vmName, string image)
    {
        var format = Format(imageParams);
        string file;
        if (imageParams.Get("image_filename") is { Length: > 0 } explicitFile)
        {
            file = HostPath.Expand(vmName, "image_filename_" + image, explicitFile);
        }
        else
        {
            var name = imageParams.Get("image_name") is { Length: > 0 } n ? n
                : throw new VmParamException(vmName, "image_name_" + image, "", "image has no image_name (or image_filename)");
            file = HostPath.Expand(vmName, "image_name_" + image, format == "raw" && VmParamsReader.IsYes(imageParams.Get("image_raw_device")) ? name : name + "." + format);
        }
        if (!System.IO.Path.IsPathRooted(file) && imageParams.Get("images_base_dir") is { Length: > 0 } baseDir)
            file = System.IO.Path.Combine(HostPath.Expand(vmName, "images_base_dir", baseDir), file);
        return file;
    }
}
