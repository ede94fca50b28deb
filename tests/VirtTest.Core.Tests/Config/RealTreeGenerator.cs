using System.Globalization;
using System.Text;

namespace VirtTest.Core.Tests.Config;

/// <summary>
/// Writes a config tree shaped like the one test providers bootstrap for QEMU (none of their
/// text): tests.cfg includes tests-shared.cfg, which includes base, machine, hardware, guest OS and
/// subtest files; hundreds of sibling tests indented under one <c>variants:</c> (some with nested
/// variants, dependencies, host conditionals, only/no chains, <c>${...}</c> with dashes, suffix and
/// join), a guest OS tree nested five deep, long <c>only</c> chains selecting a default run.
/// Deterministic for a seed. Shared by the tests and the benchmark.
/// </summary>
public static class RealTreeGenerator
{
    public sealed record Shape(int Tests = 900, int BaseKeys = 600, int LinuxFamilies = 6, int WindowsVersions = 6, int Seed = 1);

    /// <summary>Writes the tree into <paramref name="folder"/>; returns the path of tests.cfg.</summary>
    public static string Write(string folder, Shape shape)
    {
        Directory.CreateDirectory(folder);
        var rng = new Random(shape.Seed);
        File.WriteAllText(Path.Combine(folder, "tests.cfg"), Tests());
        File.WriteAllText(Path.Combine(folder, "tests-shared.cfg"), Shared());
        File.WriteAllText(Path.Combine(folder, "base.cfg"), Base(shape, rng));
        File.WriteAllText(Path.Combine(folder, "machines.cfg"), Machines());
        File.WriteAllText(Path.Combine(folder, "guest-hw.cfg"), GuestHw());
        File.WriteAllText(Path.Combine(folder, "guest-os.cfg"), GuestOs(shape, rng));
        File.WriteAllText(Path.Combine(folder, "subtests.cfg"), Subtests(shape, rng));
        Directory.CreateDirectory(Path.Combine(folder, "host"));
        File.WriteAllText(Path.Combine(folder, "host", "host-kernel.cfg"), HostKernel());
        // A deeper include chain, each include relative to the file that names it.
        Directory.CreateDirectory(Path.Combine(folder, "host", "cpu", "models"));
        File.WriteAllText(Path.Combine(folder, "host", "cpu", "host-cpu.cfg"), """
            include models/cpu-models.cfg
            Host_RHEL:
                cpu_model_flags += ",+invtsc"
            """);
        File.WriteAllText(Path.Combine(folder, "host", "cpu", "models", "cpu-models.cfg"), """
            variants cpu_model:
                - @host_passthrough:
                    cpu_mode = host-passthrough
                - EPYC:
                    only x86_64
                    cpu_model = EPYC-Rome
                - Skylake-Server:
                    only x86_64
                    cpu_model = Skylake-Server
                    Windows:
                        cpu_model_flags = ",hv_relaxed"
            """);
        return Path.Combine(folder, "tests.cfg");
    }

    private static string Tests() => """
        # Test set selection, as a bootstrap writes it.
        include tests-shared.cfg

        variants:
            - @qemu_kvm_jeos_quick:
                only (image_backend=filesystem)
                only qcow2
                only virtio_net
                only virtio_blk
                only up
                only no_pci_assignable
                only smallpages
                only default_bios
                only i440fx
                only host_passthrough
                only JeOS.27.x86_64
                no test_7, test_13
            - qemu_kvm_rhel_full:
                only (image_backend=filesystem)
                only qcow2, raw
                only virtio_net, e1000
                only RHEL.8.devel.x86_64, RHEL.9.x86_64
                only q35
            - qemu_kvm_windows_quick:
                only qcow2
                only Win10.x86_64, Win2019.x86_64
                only boot, reboot, shutdown
        only qemu_kvm_jeos_quick
        """;

    private static string Shared() => """
        # Everything a test run needs, in the order the bootstrap lists it.
        include base.cfg
        include subtests.cfg
        include machines.cfg
        include guest-os.cfg
        include guest-hw.cfg
        include host/host-kernel.cfg
        """;

    private static string Base(Shape shape, Random rng)
    {
        var sb = new StringBuilder("# Defaults for every test\n\n");
        string[] words = { "yes", "no", "virtio", "qcow2", "/var/lib/images", "ttyS0", "60", "1024", "2G", "on", "off", "rtc" };
        for (var i = 0; i < shape.BaseKeys; i++)
        {
            if (i % 9 == 0) sb.Append("\n# group ").Append(i / 9).Append(": settings of one device kind\n");
            var key = "base_setting_" + i.ToString(CultureInfo.InvariantCulture);
            switch (i % 23)
            {
                case 3: sb.Append(key).Append("_image1 = ").Append(words[rng.Next(words.Length)]).Append('\n'); break;
                case 7: sb.Append(key).Append(" = \"").Append(words[rng.Next(words.Length)]).Append(" quoted value\"\n"); break;
                case 11: sb.Append(key).Append(" = ${base_setting_").Append(i - 1).Append("}/sub\n"); break;
                case 17: sb.Append("#").Append(key).Append(" = commented out\n"); break;
                default: sb.Append(key).Append(" = ").Append(words[rng.Next(words.Length)]).Append('\n'); break;
            }
            if (i % 150 == 149)
            {
                sb.Append("pseries:\n    usb_controller = xhci\n    usb_type_usb1 = nec-usb-xhci\n");
                sb.Append("q35:\n    usb_controller = xhci\n    usb_type_usb1 = qemu-xhci\n");
            }
        }
        sb.Append("""
            vms = avocado-vt-vm1
            main_vm = avocado-vt-vm1
            images = image1
            nics = nic1
            mem = 1024
            smp = 1
            image_size = 10G
            image_name = image
            kernel_params = console=ttyS0
            mem-path_plug1 = /dev/shm/plug1
            x86-64-march = x86-64-v2
            start_vm = yes
            kill_vm = no
            login_timeout = 360

            """);
        return sb.ToString();
    }

    private static string Machines() => """
        variants:
            - @i440fx:
                only i386, x86_64
                machine_type = pc
            - q35:
                only x86_64
                machine_type = q35
                vga = std
            - pseries:
                only ppc64, ppc64le
                machine_type = pseries
            - arm64-pci:
                only aarch64
                machine_type = arm64-pci:virt
        """;

    private static string GuestHw() => """
        variants:
            - @no_pci_assignable:
                pci_assignable = no
            - pf_assignable:
                pci_assignable = pf
        variants:
            - @smallpages:
            - hugepages:
                hugepage = yes
                extra_params += " -mem-path /mnt/kvm_hugepage"
        variants:
            - @default_bios:
            - ovmf:
                only q35
                bios_path = /usr/share/OVMF/OVMF_CODE.fd
        variants:
            - @qcow2:
                image_format = qcow2
                check_image = yes
            - raw:
                image_format = raw
            - qcow2v3:
                image_format = qcow2
                image_extra_params = "compat=1.1"
        variants:
            - @virtio_blk:
                drive_format = virtio
            - virtio_scsi:
                drive_format = scsi-hd
                cd_format = scsi-cd
            - ide:
                only i440fx
                drive_format = ide
        variants:
            - @virtio_net:
                nic_model = virtio
            - e1000:
                nic_model = e1000
            - rtl8139:
                nic_model = rtl8139
        variants:
            - @up:
                smp = 1
            - smp2:
                smp = 2
        variants image_backend:
            - @filesystem:
            - iscsi:
                storage_type = iscsi
        """;

    private static string GuestOs(Shape shape, Random rng)
    {
        var sb = new StringBuilder("""
            variants:
                - Guest:
                    variants:
                        - Linux:
                            os_type = linux
                            shell_prompt = "^\[.*\][\#\$]\s*$"
                            nic_hotplug, block_hotplug:
                                modprobe_module = acpiphp
                            variants:
                                - @JeOS:
                                    variants:
                                        - 27:
                                            variants:
                                                - x86_64:
                                                    image_name = images/jeos-27-x86_64
                                                    vm_arch_name = x86_64
                                                - aarch64:
                                                    image_name = images/jeos-27-aarch64
                                                    vm_arch_name = aarch64

            """);
        string[] families = { "RHEL", "Fedora", "CentOS", "Ubuntu", "Debian", "SLES", "OpenSUSE", "openEuler" };
        string[] arches = { "x86_64", "i386", "ppc64le", "aarch64", "s390x" };
        // Families are siblings of JeOS (20 columns), versions and architectures nest below them.
        const string F = "                    ";
        for (var f = 0; f < shape.LinuxFamilies; f++)
        {
            var family = families[f % families.Length] + (f >= families.Length ? f.ToString(CultureInfo.InvariantCulture) : "");
            sb.Append(F).Append("- ").Append(family).Append(":\n");
            sb.Append(F).Append("    os_variant = ").Append(family.ToLowerInvariant()).Append('\n');
            sb.Append(F).Append("    unattended_install, svirt_install:\n");
            sb.Append(F).Append("        kernel_params = \"ks=cdrom\"\n");
            sb.Append(F).Append("        aarch64:\n").Append(F).Append("            kernel_params += \" console=ttyAMA0\"\n");
            sb.Append(F).Append("        x86_64, i386:\n").Append(F).Append("            kernel_params += \" console=ttyS0,115200\"\n");
            sb.Append(F).Append("    variants:\n");
            var versions = 3 + rng.Next(4);
            for (var v = 0; v < versions; v++)
            {
                var version = family == "RHEL" && v == 0 ? "8.devel" : (7 + v).ToString(CultureInfo.InvariantCulture);
                sb.Append(F).Append("        - ").Append(version).Append(":\n");
                sb.Append(F).Append("            os_version = ").Append(version).Append('\n');
                if (v % 2 == 0) sb.Append(F).Append("            no unattended_install..floppy_ks\n");
                sb.Append(F).Append("            variants:\n");
                foreach (var arch in arches.Take(2 + rng.Next(arches.Length - 1)))
                {
                    var a = F + "                    ";
                    sb.Append(F).Append("                - ").Append(arch).Append(":\n");
                    sb.Append(a).Append("vm_arch_name = ").Append(arch).Append('\n');
                    sb.Append(a).Append("image_name = images/").Append(family).Append('-').Append(version).Append('-').Append(arch).Append('\n');
                    sb.Append(a).Append("cdrom_cd1 = isos/linux/").Append(family).Append('-').Append(version).Append('-').Append(arch).Append("-dvd.iso\n");
                    sb.Append(a).Append("md5sum_cd1 = ").Append(rng.Next().ToString("x8", CultureInfo.InvariantCulture)).Append('\n');
                    sb.Append(a).Append("unattended_install:\n");
                    sb.Append(a).Append("    unattended_file = unattended/").Append(family).Append('-').Append(version).Append(".ks\n");
                }
            }
        }
        // Windows is a sibling of Linux (12 columns).
        const string W = "            ";
        sb.Append(W).Append("- Windows:\n");
        sb.Append(W).Append("    os_type = windows\n");
        sb.Append(W).Append("    shell_prompt = \"^\\w:\\\\.*>\\s*$\"\n");
        sb.Append(W).Append("    shell_client = nc\n");
        sb.Append(W).Append("    reboot_command = shutdown /r /f /t 0\n");
        sb.Append(W).Append("    variants:\n");
        string[] windows = { "Win10", "Win11", "Win2016", "Win2019", "Win2022", "Win2025", "Win8", "Win7" };
        for (var w = 0; w < shape.WindowsVersions; w++)
        {
            var name = windows[w % windows.Length] + (w >= windows.Length ? w.ToString(CultureInfo.InvariantCulture) : "");
            sb.Append(W).Append("        - ").Append(name).Append(":\n");
            sb.Append(W).Append("            os_variant = ").Append(name.ToLowerInvariant()).Append('\n');
            sb.Append(W).Append("            variants:\n");
            foreach (var arch in new[] { "i386", "x86_64" })
            {
                var a = W + "                    ";
                sb.Append(W).Append("                - ").Append(arch).Append(":\n");
                sb.Append(a).Append("vm_arch_name = ").Append(arch).Append('\n');
                sb.Append(a).Append("image_name = images/").Append(name).Append('-').Append(arch).Append('\n');
                sb.Append(a).Append("cdrom_cd1 = isos/windows/").Append(name).Append('-').Append(arch).Append(".iso\n");
                sb.Append(a).Append("unattended_install.cdrom:\n");
                sb.Append(a).Append("    cdrom_unattended = images/").Append(name).Append("/autounattend.iso\n");
            }
        }
        return sb.ToString();
    }

    private static string Subtests(Shape shape, Random rng)
    {
        var sb = new StringBuilder("variants subtest:\n    - io-github-autotest-qemu:\n        variants:\n");
        const string I = "            ";
        string[] types = { "boot", "reboot", "shutdown", "migrate", "nic_hotplug", "block_hotplug", "unattended_install", "stress", "timedrift", "balloon" };
        for (var t = 0; t < shape.Tests; t++)
        {
            var name = t < types.Length ? types[t] : "test_" + t.ToString(CultureInfo.InvariantCulture);
            sb.Append(I).Append("- ").Append(name).Append(':');
            if (t > 0 && rng.Next(10) == 0) sb.Append(" boot");
            sb.Append('\n');
            var body = I + "    ";
            sb.Append(body).Append("type = ").Append(types[t % types.Length]).Append('\n');
            sb.Append(body).Append("virt_test_type = qemu libvirt\n");
            var lines = 20 + rng.Next(44);
            for (var l = 0; l < lines; l++)
            {
                var key = "param_" + (l % 17).ToString(CultureInfo.InvariantCulture) + "_" + (t % 31).ToString(CultureInfo.InvariantCulture);
                switch (rng.Next(40))
                {
                    case 0:
                        sb.Append(body).Append("Windows:\n").Append(body).Append("    ").Append(key).Append(" = cmd /c echo ").Append(l).Append('\n');
                        sb.Append(body).Append("    ").Append("timeout = 600\n");
                        break;
                    case 1:
                        sb.Append(body).Append("aarch64, ppc64le:\n").Append(body).Append("    no q35\n").Append(body).Append("    ").Append(key).Append(" = arm\n");
                        break;
                    case 2: sb.Append(body).Append("kernel_params += \" quiet\"\n"); break;
                    case 3: sb.Append(body).Append("mem_devs = plug1\n").Append(body).Append(key).Append(" = ${mem-path_plug1}/").Append(l).Append('\n'); break;
                    case 4: sb.Append(body).Append(key).Append(" = -cpu host,march=${x86-64-march}\n"); break;
                    case 5: sb.Append(body).Append("no Host_RHEL.m6, Host_RHEL.m7.u0\n"); break;
                    case 6: sb.Append(body).Append("only Linux\n"); break;
                    case 7: sb.Append(body).Append(key).Append(" = ${image_name}.").Append(l).Append('\n'); break;
                    case 8: sb.Append(body).Append("!Windows:\n").Append(body).Append("    ").Append(key).Append(" = dmesg -c\n"); break;
                    case 9: sb.Append(body).Append("param_.*_").Append(t % 31).Append(" ?+= \" extra\"\n"); break;
                    default: sb.Append(body).Append(key).Append(" = value_").Append(rng.Next(1000)).Append('\n'); break;
                }
            }
            if (rng.Next(3) == 0)
            {
                sb.Append(body).Append("variants:\n");
                var subs = 2 + rng.Next(4);
                for (var s = 0; s < subs; s++)
                {
                    sb.Append(body).Append("    - ").Append(s == 0 ? "@" : "").Append("sub_").Append(s).Append(":\n");
                    for (var l = 0; l < 2 + rng.Next(4); l++)
                        sb.Append(body).Append("        sub_param_").Append(l).Append(" = ").Append(s * 10 + l).Append('\n');
                    if (s == 1 && rng.Next(2) == 0) sb.Append(body).Append("        only smp2, up\n");
                }
            }
            if (t % 97 == 5)
            {
                // Two VMs with per-VM keys, as the migration tests write them.
                sb.Append(body).Append("vms += \" vm2\"\n").Append(body).Append("variants:\n");
                sb.Append(body).Append("    - src:\n").Append(body).Append("        mem = 2048\n").Append(body).Append("        suffix _vm1\n");
                sb.Append(body).Append("    - dst:\n").Append(body).Append("        mem = 4096\n").Append(body).Append("        suffix _vm2\n");
                sb.Append(body).Append("join src dst\n");
                sb.Append(body).Append("del kill_vm_vm1\n");
            }
            if (t % 53 == 7) sb.Append(body).Append("del param_0_").Append(t % 31).Append('\n');
        }
        return sb.ToString();
    }

    private static string HostKernel() => """
        include cpu/host-cpu.cfg
        variants:
            - @HostCpuVendor:
            - Host_RHEL:
                variants:
                    - m6:
                    - m7:
                        variants:
                            - u0:
                            - @u9:
                    - @m8:
        """;
}
