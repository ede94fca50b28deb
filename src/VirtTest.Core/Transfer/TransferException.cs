namespace VirtTest.Core.Transfer;

/// <summary>
/// A file transfer failed: the server refused an operation, a path is missing, or the
/// copy's SHA-256 differs from the original's (<see cref="IsChecksumMismatch"/>). The RSS
/// client's errors derive from it (<see cref="RssServerException"/>, <see cref="RssConnectionException"/>,
/// <see cref="RssProtocolException"/>, <see cref="TransferTimeoutException"/>).
/// </summary>
public class TransferException : VirtTestException
{
    /// <inheritdoc />
    public override string ErrorId => "Transfer";

    /// <inheritdoc />
    public override VirtErrorCategory Category => VirtErrorCategory.WriteError;

    public TransferException(string session, string path, string message, Exception? inner = null) : base(message, inner)
    {
        Session = session;
        Path = path;
    }

    /// <summary>A checksum mismatch.</summary>
    public TransferException(string session, string path, string message, string localSha256, string remoteSha256) : base(message)
    {
        Session = session;
        Path = path;
        LocalSha256 = localSha256;
        RemoteSha256 = remoteSha256;
    }

    /// <summary>The session's (or server's) name, e.g. "vm1 ssh root@127.0.0.1:2222", "rss 127.0.0.1:10023".</summary>
    public string Session { get; }
    /// <summary>The file (or folder) the failure is about.</summary>
    public string Path { get; }
    public string? LocalSha256 { get; }
    public string? RemoteSha256 { get; }
    public bool IsChecksumMismatch => LocalSha256 is not null;
}
