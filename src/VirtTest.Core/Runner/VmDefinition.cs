using System.Text;
using VirtTest.Core.Config;

namespace VirtTest.Core.Runner;

/// <summary>
/// The params that define a VM's hardware and boot, as one comparable string: a running VM is
/// reused by the next test when this is unchanged (the seed restarts when the hypervisor command
/// line would differ). Test-only params (commands, timeouts, names) do not count.
/// </summary>
public static class VmDefinition
{
    private static readonly string[] Keys =
    {
        "vm_type", "mem", "smp", "machine_type", "cpu_model", "kernel", "initrd", "kernel_params", "images", "nics",
        "nic_model", "nettype", "display", "vga", "qemu_binary", "monitors", "monitor_type", "redirs", "enable_kvm",
        "accel", "connect_uri", "xen_guest_type", "extra_params", "virtio_rng", "test_guest", "serial_login", "usbs",
    };

    private static readonly string[] Prefixes = { "image_", "drive_", "nic_", "guest_port_", "monitor_", "cdrom_", "cdroms", "cd_format" };

    public static string Of(VirtParams vmParams)
    {
        var sb = new StringBuilder();
        foreach (var (key, value) in vmParams.OrderBy(kv => kv.Key, StringComparer.Ordinal))
        {
            if (Array.IndexOf(Keys, key) < 0 && !Prefixes.Any(p => key.StartsWith(p, StringComparison.Ordinal))) continue;
            sb.Append(key).Append('=').Append(value).Append('\n');
        }
        return sb.ToString();
    }
}
