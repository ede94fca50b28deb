namespace VirtTest.Core.Session;

/// <summary>Why a host key was refused.</summary>
public enum SshHostKeyProblem
{
    /// <summary>The host is not in the known-hosts file and the policy is <see cref="SshHostKeyPolicy.Strict"/>.</summary>
    Unknown,
    /// <summary>The known-hosts file records other keys for the host (another machine answers, or it was reinstalled).</summary>
    Changed,
    /// <summary>The key is marked <c>@revoked</c> in the known-hosts file.</summary>
    Revoked,
}

/// <summary>The SSH server's host key was refused; the connection was not made. Not retried.</summary>
public sealed class SshHostKeyException : SessionException
{
    /// <inheritdoc />
    public override string ErrorId => "SshHostKey";

    /// <inheritdoc />
    public override VirtErrorCategory Category => VirtErrorCategory.SecurityError;

    public SshHostKeyException(string session, string host, int port, SshHostKeyProblem problem, string offeredFingerprint,
        IReadOnlyList<string> knownFingerprints, string? knownHostsPath)
        : base(session, Describe(host, port, problem, offeredFingerprint, knownFingerprints, knownHostsPath))
    {
        Host = host;
        Port = port;
        Problem = problem;
        OfferedFingerprint = offeredFingerprint;
        KnownFingerprints = knownFingerprints;
        KnownHostsPath = knownHostsPath;
    }

    public string Host { get; }
    public int Port { get; }
    public SshHostKeyProblem Problem { get; }
    /// <summary>The offered key: type and SHA-256 fingerprint, e.g. "ssh-ed25519 SHA256:...".</summary>
    public string OfferedFingerprint { get; }
    /// <summary>The keys the known-hosts file records for the host, in the same form.</summary>
    public IReadOnlyList<string> KnownFingerprints { get; }
    public string? KnownHostsPath { get; }

    private static string Describe(string host, int port, SshHostKeyProblem problem, string offered, IReadOnlyList<string> known, string? path)
    {
        var where = SshKnownHosts.HostEntryName(host, port);
        var file = path ?? "(no known-hosts file)";
        return problem switch
        {
            SshHostKeyProblem.Changed =>
                $"The SSH host key of {where} has changed: the server offers {offered}, but {file} records {string.Join(", ", known)}. " +
                "Refusing to connect: another machine may answer at this address, or the guest was reinstalled (then remove its line from the known-hosts file).",
            SshHostKeyProblem.Revoked =>
                $"The SSH host key of {where} ({offered}) is marked @revoked in {file}. Refusing to connect.",
            _ =>
                $"The SSH host key of {where} ({offered}) is not in {file} and the host key policy is Strict. Refusing to connect.",
        };
    }
}
