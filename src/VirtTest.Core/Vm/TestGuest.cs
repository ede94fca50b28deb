using System.Text.Json;
using VirtTest.Core.Config;

namespace VirtTest.Core.Vm;

/// <summary>
/// The small Linux guest that <c>build.ps1 -Task Guest</c> builds (Debian cloud kernel +
/// busybox initramfs): where its files are and the params that boot it.
/// </summary>
public sealed class TestGuest
{
    public const string EnvironmentVariable = "VIRTTEST_TEST_GUEST";
    public const string ManifestName = "guest.json";

    private TestGuest(string directory, JsonElement manifest)
    {
        Directory = directory;
        Kernel = Path.Combine(directory, "vmlinuz");
        Initrd = Path.Combine(directory, "initrd.img");
        ReadyLine = Read(manifest, "readyLine") ?? "VIRTTEST-GUEST-READY";
        ShellPrompt = Read(manifest, "shellPrompt") ?? @"\[virttest\][#$] ?$";
        KernelParams = Read(manifest, "kernelParams") ?? "console=ttyS0";
        KernelVersion = Read(manifest, "kernelVersion") ?? "";
        UserName = Read(manifest, "username") ?? "root";
        Password = Read(manifest, "password") ?? "";
        SshHostKeyFingerprint = Read(manifest, "sshHostKeyFingerprint");
    }

    public string Directory { get; }
    public string Kernel { get; }
    public string Initrd { get; }
    /// <summary>The line the guest's init prints when its shell is ready.</summary>
    public string ReadyLine { get; }
    /// <summary>A regular expression matching the guest shell's prompt.</summary>
    public string ShellPrompt { get; }
    public string KernelParams { get; }
    public string KernelVersion { get; }
    /// <summary>The guest's login (root) and its password, a published test credential.</summary>
    public string UserName { get; }
    public string Password { get; }
    /// <summary>The SSH host key fingerprint (SHA256:...) made when the guest was built, when it has SSH.</summary>
    public string? SshHostKeyFingerprint { get; }

    private static string? Read(JsonElement e, string name) =>
        e.ValueKind == JsonValueKind.Object && e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    /// <summary>
    /// Finds the built guest: <c>$VIRTTEST_TEST_GUEST</c>, else <c>.build/guest</c> in the
    /// current folder or a parent of it, or in a parent folder of this library (the repository
    /// that built it).
    /// </summary>
    public static TestGuest Locate()
    {
        if (TryLocateDirectory() is { } dir)
        {
            using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, ManifestName)));
            return new TestGuest(dir, doc.RootElement.Clone());
        }
        throw new FileNotFoundException(
            $"The test guest is not built: no {ManifestName} with vmlinuz and initrd.img in ${EnvironmentVariable} or a .build/guest folder above {AppContext.BaseDirectory}. Build it with: dotnet pwsh ./build.ps1 -Task Guest");
    }

    /// <summary>
    /// The test guests' folder (where <c>build.ps1 -Task Guest</c> puts the busybox guest, and the
    /// Debian guest in its <c>debian12</c> subfolder), searched as <see cref="Locate"/> does; null when none is built.
    /// </summary>
    public static string? TryLocateDirectory()
    {
        var candidates = new List<string>();
        if (Environment.GetEnvironmentVariable(EnvironmentVariable) is { Length: > 0 } fromEnv) candidates.Add(fromEnv);
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            candidates.Add(Path.Combine(dir.FullName, ".build", "guest"));
        }
        for (var dir = new DirectoryInfo(Environment.CurrentDirectory); dir is not null; dir = dir.Parent)
        {
            candidates.Add(Path.Combine(dir.FullName, ".build", "guest"));
        }
        var asm = Path.GetDirectoryName(typeof(TestGuest).Assembly.Location);
        for (var dir = asm is null ? null : new DirectoryInfo(asm); dir is not null; dir = dir.Parent)
        {
            candidates.Add(Path.Combine(dir.FullName, ".build", "guest"));
        }
        foreach (var dir in candidates)
        {
            if (File.Exists(Path.Combine(dir, ManifestName)) && File.Exists(Path.Combine(dir, "vmlinuz")) && File.Exists(Path.Combine(dir, "initrd.img")))
                return Path.GetFullPath(dir);
        }
        return null;
    }

    /// <summary>Params that boot this guest as VM <paramref name="vmName"/>.</summary>
    /// <remarks>With <paramref name="loginPrompt"/> the serial console asks for a login (getty) instead of giving a shell.</remarks>
    public VirtParams CreateParams(string vmName = "vm1", int memoryMB = VmDefaults.MemoryMB, int cpus = VmDefaults.Cpus, bool loginPrompt = false)
    {
        var p = new VirtParams
        {
            ["name"] = vmName,
            ["shortname"] = vmName,
            ["vms"] = vmName,
            ["main_vm"] = vmName,
            ["vm_type"] = "qemu",
            ["machine_type"] = "pc",
            ["mem"] = memoryMB.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["smp"] = cpus.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["kernel"] = Kernel,
            ["initrd"] = Initrd,
            ["kernel_params"] = loginPrompt ? KernelParams + " virttest.login=1" : KernelParams,
            ["serial_login"] = loginPrompt ? "yes" : "no",
            ["images"] = "",
            ["nics"] = "nic1",
            ["nic_model"] = "virtio-net-pci",
            ["nettype"] = "user",
            ["vga"] = "std",
            ["display"] = "none",
            ["ready_pattern"] = System.Text.RegularExpressions.Regex.Escape(ReadyLine),
            ["shell_prompt"] = ShellPrompt,
            ["virtio_rng"] = "yes",
            ["username"] = UserName,
            ["password"] = Password,
            ["shell_client"] = "serial",
            ["shell_port"] = "22",
            ["redirs"] = "remote_shell",
            ["guest_port_remote_shell"] = "22",
        };
        return p;
    }
}
