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

    public static RuntimeDirectory Create(string vmName)
    {
        var root = Root;
        Directory.CreateDirectory(root);
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
            return new RuntimeDirectory(path);
        }
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
