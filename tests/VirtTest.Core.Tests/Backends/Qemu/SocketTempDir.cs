namespace VirtTest.Core.Tests.Backends.Qemu;

/// <summary>
/// A temp folder for Unix sockets, removed when the test ends, pass or fail. Socket paths are
/// limited to about 107 bytes, so it falls back to /tmp when TMPDIR is deep.
/// </summary>
internal sealed class SocketTempDir : IDisposable
{
    private const int MaxSocketPathLength = 100;

    public SocketTempDir()
    {
        var name = "vt-qmp-" + Guid.NewGuid().ToString("N")[..12];
        var root = System.IO.Path.GetTempPath();
        if (System.IO.Path.Combine(root, name, "qmp-socket-name.sock").Length > MaxSocketPathLength) root = "/tmp";
        Path = System.IO.Path.Combine(root, name);
        Directory.CreateDirectory(Path);
    }

    public string Path { get; }

    public string File(string name) => System.IO.Path.Combine(Path, name);

    public void Dispose()
    {
        try { Directory.Delete(Path, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}
