using System.Text;
using VirtTest.Core.Config;

namespace VirtTest.Core.Vm;

/// <summary>
/// The README's table of which operation each backend supports, generated from the
/// backends' own capability sets (one column per backend, or per variant of a backend
/// that has them) so that the documentation cannot drift from the code.
/// </summary>
public static class CapabilityTable
{
    public const string StartMarker = "<!-- capability-table:start -->";
    public const string EndMarker = "<!-- capability-table:end -->";

    /// <summary>What each capability lets a test do (the cmdlets that need it).</summary>
    private static readonly Dictionary<VmCapability, string> Operations = new()
    {
        [VmCapability.PciInfo] = "List PCI devices (`Get-VirtPciInfo`)",
        [VmCapability.PciHotplug] = "Hot-plug / unplug emulated PCI devices (`Add-`/`Remove-VirtPciDevice`)",
        [VmCapability.PciPassthrough] = "Attach / detach host PCI devices (`Add-VirtPciDevice -Model passthrough`)",
        [VmCapability.Screendump] = "Screenshot (`Save-VirtScreenshot`)",
        [VmCapability.SendKey] = "Send keys",
        [VmCapability.Mouse] = "Move the mouse",
        [VmCapability.Pause] = "Pause / resume (`Suspend-`/`Resume-VirtVm`)",
        [VmCapability.Reset] = "System reset",
        [VmCapability.Powerdown] = "Graceful power-off request",
        [VmCapability.Migration] = "Live migration (`Move-VirtVm`)",
        [VmCapability.MigrationWithDiskCopy] = "Live migration with disk copy (`Move-VirtVm -CopyStorage`)",
        [VmCapability.MigrationToHost] = "Live migration to a VM waiting on another host (cluster runs: `Move-VirtVm -Destination`)",
        [VmCapability.SerialConsole] = "Serial console sessions (`Wait-VirtLogin`)",
        [VmCapability.RawMonitor] = "Raw monitor commands (`Invoke-VirtMonitor`)",
        [VmCapability.Events] = "Monitor events (`Wait-VirtVmEvent`)",
        [VmCapability.BridgeNetwork] = "NICs on a host bridge (`nettype = bridge`)",
        [VmCapability.LibvirtNetwork] = "NICs on a libvirt network (`nettype = network`)",
        [VmCapability.PortForward] = "Forwarded guest ports, user-mode networking (`redirs`)",
        [VmCapability.MultiQueueNic] = "Multi-queue NICs (`queues`)",
        [VmCapability.GuestAddressQuery] = "Guest addresses from the hypervisor (`Get-VirtVmAddress -Source Libvirt*`)",
        [VmCapability.NicHotplugNetwork] = "Hot-plugged NICs carry traffic (`Add-VirtPciDevice`)",
        [VmCapability.BlockInfo] = "List disks (`Get-VirtBlockDevice`)",
        [VmCapability.DiskHotplug] = "Hot-plug / unplug disks (`Add-`/`Remove-VirtDisk`)",
        [VmCapability.LiveSnapshot] = "Live external disk snapshots (`New-VirtDiskSnapshot`)",
        [VmCapability.BlockJobs] = "Block jobs: stream, commit, mirror (`Invoke-VirtBlockJob`)",
        [VmCapability.CdromChange] = "List CD-ROM drives, change or eject their media (`Get-`/`Set-VirtCdrom`)",
    };

    /// <summary>The columns: (header, capabilities) per registered backend or backend variant, in name order.</summary>
    public static IReadOnlyList<(string Header, VmCapability Capabilities)> Columns()
    {
        var columns = new List<(string, VmCapability)>();
        foreach (var name in BackendRegistry.Names)
        {
            var backend = BackendRegistry.Get(name);
            if (backend is IVmBackendVariants variants)
            {
                foreach (var (label, p) in variants.RepresentativeParams) columns.Add((label, backend.GetCapabilities(p)));
            }
            else
            {
                columns.Add((name, backend.GetCapabilities(new VirtParams(new Dictionary<string, string> { ["vm_type"] = name }))));
            }
        }
        return columns;
    }

    /// <summary>The table in Markdown (rows: capabilities; columns: backends), ending in a newline.</summary>
    public static string ToMarkdown() => ToMarkdown(Columns());

    /// <summary>The table for given columns.</summary>
    public static string ToMarkdown(IReadOnlyList<(string Header, VmCapability Capabilities)> columns)
    {
        var sb = new StringBuilder();
        sb.Append("| Capability | Operation |");
        foreach (var (header, _) in columns) sb.Append(' ').Append(header).Append(" |");
        sb.Append('\n').Append("| --- | --- |");
        foreach (var _ in columns) sb.Append(" :-: |");
        sb.Append('\n');
        foreach (var capability in Enum.GetValues<VmCapability>())
        {
            if (capability == VmCapability.None) continue;
            sb.Append("| `").Append(capability).Append("` | ").Append(Operations.TryGetValue(capability, out var op) ? op : "").Append(" |");
            foreach (var (_, caps) in columns) sb.Append((caps & capability) == capability ? " yes |" : " no |");
            sb.Append('\n');
        }
        return sb.ToString();
    }

    /// <summary>
    /// The README text with the region between <see cref="StartMarker"/> and <see cref="EndMarker"/>
    /// replaced by <paramref name="table"/> (default: <see cref="ToMarkdown()"/>).
    /// </summary>
    public static string ReplaceRegion(string readme, string? table = null)
    {
        var (start, end) = Region(readme);
        var nl = readme.Contains("\r\n", StringComparison.Ordinal) ? "\r\n" : "\n";
        table ??= ToMarkdown();
        if (nl != "\n") table = table.Replace("\n", nl, StringComparison.Ordinal);
        return readme[..start] + nl + table + readme[end..];
    }

    /// <summary>The text between the markers (without them), as the README has it now.</summary>
    public static string CurrentRegion(string readme)
    {
        var (start, end) = Region(readme);
        return readme[start..end];
    }

    /// <summary>True when the README's region holds exactly the table the code generates.</summary>
    public static bool IsUpToDate(string readme) => ReplaceRegion(readme) == readme;

    private static (int Start, int End) Region(string readme)
    {
        var start = readme.IndexOf(StartMarker, StringComparison.Ordinal);
        var end = readme.IndexOf(EndMarker, StringComparison.Ordinal);
        if (start < 0 || end < 0 || end < start)
            throw new FormatException($"The README has no capability table region: it needs a line '{StartMarker}' followed later by a line '{EndMarker}'.");
        return (start + StartMarker.Length, end);
    }
}
