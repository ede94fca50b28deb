namespace VirtTest.Core.Vm;

/// <summary>
/// A private directory (mode 0700) holding everything one VM instance uses on the host:
/// sockets, pid file, console log. Deleting it is the whole of the host-side cleanup.
/// </summary>
public sealed class RuntimeDirectory : IDisposable
{
    private RuntimeDirectory(string path) => Path = path;

    public string Path { get; }

    /// <summary>The parent of all runtime directories; kept short because Unix socket paths are limited to 107 bytes.</summary>
    public static string Root =>
        Environment.GetEnvironmentVariable("VIRTTEST_RUNTIME_DIR") is { Length: > 0 } dir ? dir : System.IO.Path.Combine(System.IO.Path.GetTempPath(), "virttest");

    /// <summary>The file in each runtime directory that names the process owning it (see <see cref="SweepStale"/>).</summary>
    public const string OwnerFileName = "owner";

    public static RuntimeDirectory Create(string vmName)
    {
        var root = Root;
        Directory.CreateDirectory(root);
        SweepStale(root);
        var safe = new string(vmName.Where(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_').Take(16).ToArray());
        for (var attempt = 0; ; attempt++)
        {
            var path = System.IO.Path.Combine(root, $"{safe}-{Guid.NewGuid().ToString("N")[..8]}");
            if (Directory.Exists(path)) continue;
            if (OperatingSystem.IsWindows())
            {
                Directory.CreateDirectory(path);
            }
            else
            {
                Directory.CreateDirectory(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            }
            if (StaleOwners.Current() is { } owner) System.IO.File.WriteAllText(System.IO.Path.Combine(path, OwnerFileName), owner);
            return new RuntimeDirectory(path);
        }
    }

    /// <summary>
    /// Removes the runtime directories under <paramref name="root"/> whose owning process is gone
    /// without having cleaned up: killed with SIGKILL, e.g. with a crashed Slurm node or an OOM
    /// kill, where no finally block ran. Only directories with an owner file written on this
    /// boot in this PID namespace are judged (a process elsewhere cannot be checked), and none whose
    /// QEMU (qemu.pid) still runs. Returns how many were removed.
    /// </summary>
    public static int SweepStale(string root)
    {
        if (!OperatingSystem.IsLinux() || !Directory.Exists(root)) return 0;
        var removed = 0;
        foreach (var dir in Directory.EnumerateDirectories(root))
        {
            try
            {
                var ownerFile = System.IO.Path.Combine(dir, OwnerFileName);
                if (!System.IO.File.Exists(ownerFile)) continue;
                if (!StaleOwners.IsGone(System.IO.File.ReadAllText(ownerFile))) continue;
                var qemuPid = System.IO.Path.Combine(dir, "qemu.pid");
                if (System.IO.File.Exists(qemuPid) && int.TryParse(System.IO.File.ReadAllText(qemuPid).Trim(), out var pid) && Directory.Exists("/proc/" + pid)) continue;
                Directory.Delete(dir, recursive: true);
                removed++;
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                // Another process's directory (another user), or being removed right now: not ours to judge.
            }
        }
        return removed;
    }

    public string File(string name) => System.IO.Path.Combine(Path, name);

    /// <summary>Restricts a socket (or any file) in the directory to its owner.</summary>
    public static void MakePrivate(string path)
    {
        if (!OperatingSystem.IsWindows() && System.IO.File.Exists(path))
        {
            System.IO.File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }
    }

    public void Dispose()
    {
        for (var attempt = 0; attempt < 5; attempt++)
        {
            try
            {
                if (Directory.Exists(Path)) Directory.Delete(Path, recursive: true);
                return;
            }
            catch (IOException) when (attempt < 4)
            {
                Thread.Sleep(50); // a dying process may still be closing files in it
            }
        }
    }
}
