using System.Text;

namespace VirtTest.Bench;

/// <summary>
/// A generated config shaped like a real test tree: guest OS families with nested releases,
/// disk, NIC, CPU and memory blocks, a long test list with filters inside variants, named
/// blocks and conditional blocks. <paramref name="tests"/> and <paramref name="repeat"/> scale it.
/// </summary>
internal static class BenchConfig
{
    public static string Generate(int tests, int repeat)
    {
        var sb = new StringBuilder();
        for (var i = 0; i < 40; i++) sb.AppendLine($"base_key_{i} = value_{i}");
        sb.AppendLine("kernel_params = console=ttyS0");
        sb.AppendLine("images = image1");
        sb.AppendLine("vms = vm1");
        sb.AppendLine("""
            variants guest_os:
                - Linux:
                    os_type = linux
                    shell_prompt = ^.*[#$]\s*$
                    variants:
                        - Fedora:
                            os_variant = fedora
                            variants:
                                - 38:
                                    release = 38
                                - 39:
                                    release = 39
                                - 40:
                                    release = 40
                        - RHEL:
                            os_variant = rhel
                            variants:
                                - 8:
                                    release = 8
                                - 9:
                                    release = 9
                        - Debian:
                            variants:
                                - 11:
                                - 12:
                - Windows:
                    os_type = windows
                    shell_prompt = ^\w:\\.*>\s*$
                    variants:
                        - Win10:
                        - Win11:
                        - 2019:
                        - 2022:
            variants image_format:
                - qcow2:
                    image_extra_params = cluster_size=64K
                - raw:
                - @vmdk:
            variants:
                - ide:
                    drive_format = ide
                - virtio_blk:
                    drive_format = virtio
                - virtio_scsi:
                    drive_format = scsi-hd
            variants nic:
                - virtio_net:
                    nic_model = virtio-net-pci
                - e1000:
                    nic_model = e1000
                - rtl8139:
                    nic_model = rtl8139
            variants:
                - smp1:
                    smp = 1
                - smp2:
                    smp = 2
                - smp4:
                    smp = 4
            variants:
                - mem512:
                    mem = 512
                - mem1g:
                    mem = 1024
                - mem2g:
                    mem = 2048
                - mem4g:
                    mem = 4096
            Windows:
                kernel_params =
                no rtl8139
            qcow2..virtio_blk:
                image_cache = none
            !Linux:
                ssh_port ~= 22
            mem512:
                no Windows
            """);
        sb.AppendLine("variants test:");
        for (var t = 0; t < tests; t++)
        {
            sb.AppendLine($"    - test{t}:");
            sb.AppendLine($"        type = test_type_{t % 7}");
            sb.AppendLine($"        timeout = {60 + t}");
            sb.AppendLine($"        kernel_params += \" t{t}\"");
            if (t % 5 == 1) sb.AppendLine("        only Linux");
            if (t % 5 == 2) sb.AppendLine("        no vmdk, ide");
            if (t % 7 == 3) sb.AppendLine("        only smp2, smp4");
            if (t % 9 == 4) sb.AppendLine("        image_name = images/${os_variant}-${release}");
        }
        if (repeat > 1)
        {
            sb.AppendLine("variants:");
            for (var r = 0; r < repeat; r++)
            {
                sb.AppendLine($"    - rep{r}:");
                sb.AppendLine($"        repetition = {r}");
            }
        }
        return sb.ToString();
    }
}
