namespace VirtTest.Core.Backends.Xen;

/// <summary>What one finished <c>xl</c> invocation returned.</summary>
public sealed record XlResult(int ExitCode, string Stdout, string Stderr);

/// <summary>
/// Runs the <c>xl</c> toolstack on one Xen host: this machine (<see cref="XlProcessRunner"/>) or
/// a host reached over SSH (<see cref="XlSshRunner"/>). Every invocation of the Xen backend goes
/// through this one interface as an argument list (never a shell string), so tests can record
/// the command lines without a Xen host.
/// </summary>
public interface IXlRunner
{
    /// <summary>The Xen host (<c>user@host:port</c>) when xl runs over SSH; null when it runs on this machine.</summary>
    string? RemoteHost { get; }

    /// <summary>
    /// Runs <c>xl</c> with these arguments and returns its exit code and output. Fails with
    /// <see cref="XenToolstackNotFoundException"/> when xl is not installed, with
    /// <see cref="XenToolstackException"/> when it does not finish within <paramref name="timeout"/>
    /// and with <see cref="XenHostException"/> when the host cannot be reached. A non-zero exit
    /// code is returned, not thrown: callers decide what it means.
    /// </summary>
    Task<XlResult> RunAsync(IReadOnlyList<string> arguments, TimeSpan timeout, CancellationToken ct);

    /// <summary>
    /// Starts a long-running <c>xl</c> that needs a terminal (<c>xl console</c>) on a
    /// pseudo-terminal; its output is read and its input written through the returned stream.
    /// Disposing the stream ends it.
    /// </summary>
    Task<Stream> OpenTerminalAsync(IReadOnlyList<string> arguments, CancellationToken ct);

    /// <summary>
    /// A folder on the Xen host for one domain's files (its config, its kernel and initrd),
    /// removed when disposed. <paramref name="local"/> is the VM's runtime directory on this
    /// machine (the folder itself when xl runs here).
    /// </summary>
    Task<IXenHostFolder> CreateFolderAsync(string domainName, string local, CancellationToken ct);

    /// <summary>
    /// A file as xl on the Xen host would open it (a disk image given to <c>xl block-attach</c>):
    /// its length and up to <paramref name="headLength"/> first bytes; null when no regular
    /// file has that path there.
    /// </summary>
    Task<XenHostFile?> ProbeFileAsync(string path, int headLength, CancellationToken ct);
}

/// <summary>A regular file on the Xen host: its length and first bytes (see <see cref="IXlRunner.ProbeFileAsync"/>).</summary>
public sealed record XenHostFile(long Length, byte[] Head);

/// <summary>One domain's folder on the Xen host (see <see cref="IXlRunner.CreateFolderAsync"/>).</summary>
public interface IXenHostFolder : IAsyncDisposable
{
    /// <summary>The folder as the Xen host sees it.</summary>
    string Path { get; }

    /// <summary>Writes a file (private to the owner) and returns its path on the Xen host.</summary>
    Task<string> WriteTextAsync(string fileName, string text, CancellationToken ct);

    /// <summary>Makes a file of this machine available to xl and returns its path on the Xen host (a copy, or the file itself on a local host).</summary>
    Task<string> CopyFileAsync(string localPath, string fileName, CancellationToken ct);
}
