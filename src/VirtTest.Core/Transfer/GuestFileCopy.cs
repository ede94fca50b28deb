using System.Globalization;
using VirtTest.Core.Config;
using VirtTest.Core.Session;
using VirtTest.Core.Vm;

namespace VirtTest.Core.Transfer;

/// <summary>How files travel to and from a guest.</summary>
public enum FileTransferProtocol
{
    /// <summary>SFTP on a second SSH connection (the reference's <c>scp</c>).</summary>
    Sftp,
    /// <summary>The Windows guest agent's file transfer (port 10023).</summary>
    Rss,
}

/// <summary>One copy: what, where, which way, and how.</summary>
public sealed record GuestCopyRequest(TransferDirection Direction, string Source, string Destination)
{
    /// <summary>Copy folders with everything in them.</summary>
    public bool Recurse { get; init; }
    /// <summary>Check every copy (SFTP: SHA-256 by sha256sum in the guest; RSS: sizes and host-side SHA-256 of both copies).</summary>
    public bool Verify { get; init; } = true;
    /// <summary>RSS only: bytes per data packet (null: 64 KiB).</summary>
    public int? ChunkSize { get; init; }
    /// <summary>RSS only: deadline of the whole copy (null: 30 min).</summary>
    public TimeSpan? Timeout { get; init; }
}

/// <summary>
/// Copies files to and from a guest the way its params say, as the reference's
/// <c>copy_files_to</c>/<c>copy_files_from</c> do: <c>file_transfer_client = rss</c> uses the
/// agent's file transfer on <c>file_transfer_port</c> (default 10023), <c>scp</c> (or
/// <c>sftp</c>) SFTP with the SSH login from the params. Without <c>file_transfer_client</c>,
/// <c>os_type = windows</c> means rss, anything else SFTP.
/// </summary>
public static class GuestFileCopy
{
    /// <summary>The protocol the params choose (<c>file_transfer_client</c>, else by <c>os_type</c>).</summary>
    public static FileTransferProtocol ProtocolFromParams(VirtParams p)
    {
        var client = p.Get("file_transfer_client")?.Trim().ToLowerInvariant();
        return client switch
        {
            "rss" => FileTransferProtocol.Rss,
            "scp" or "sftp" => FileTransferProtocol.Sftp,
            null or "" => ShellDialect.ForOsType(p.Get("os_type")) == ShellDialect.Cmd ? FileTransferProtocol.Rss : FileTransferProtocol.Sftp,
            _ => throw new VmParamException(p.Get("main_vm") ?? "", "file_transfer_client", client, "not a file transfer client VirtTest speaks", new[] { "rss", "scp", "sftp" }),
        };
    }

    /// <summary>The guest port of the agent's file transfer (<c>file_transfer_port</c>, default 10023).</summary>
    public static int RssPortFromParams(VirtParams p) =>
        int.TryParse(p.Get("file_transfer_port"), NumberStyles.Integer, CultureInfo.InvariantCulture, out var port) ? port : RssProtocol.DefaultPort;

    /// <summary>Copies through a session: SFTP for SSH, the agent's file transfer for a remote shell (Rss) session.</summary>
    /// <exception cref="TransferException">A serial session: no way to carry files.</exception>
    public static async Task<TransferResult> CopyAsync(GuestSession session, GuestCopyRequest request, IProgress<TransferProgress>? progress = null, CancellationToken ct = default)
    {
        switch (session)
        {
            case SshSession ssh:
                return await SftpAsync(ssh, request, progress, ct).ConfigureAwait(false);
            case RemoteShellSession rss:
                var (host, port) = rss.FileTransferEndpoint ?? (rss.Host, RssProtocol.DefaultPort);
                return await RssAsync(host, port, request, progress, ct).ConfigureAwait(false);
            default:
                throw new TransferException(session.Name, request.Source,
                    $"{session.Name} is a {session.Transport} session, which cannot carry files: use an SSH session, a remote shell (Rss) session, -Vm (the params choose) or -Address with -Protocol Rss.");
        }
    }

    /// <summary>Copies to or from a VM's guest by its params (see the class remarks).</summary>
    public static async Task<TransferResult> CopyAsync(VirtualMachine vm, GuestCopyRequest request, IProgress<TransferProgress>? progress = null, CancellationToken ct = default)
    {
        if (vm.State is not (VmState.Running or VmState.Paused))
            throw new VmStateException(vm.Name, vm.State, "copy files to or from", vm.State == VmState.Dead ? vm.DeathReason : null);
        if (ProtocolFromParams(vm.Params) == FileTransferProtocol.Rss)
        {
            var guestPort = RssPortFromParams(vm.Params);
            var endpoint = vm.GetGuestPortEndpoint(guestPort) ?? throw new VmException(vm.Name,
                $"VM '{vm.Name}' has no route from the host to guest port {guestPort} (file_transfer_port): with user-mode networking add file_transfer to redirs and set guest_port_file_transfer = {guestPort}.");
            return await RssAsync(endpoint.Host, endpoint.Port, request, progress, ct).ConfigureAwait(false);
        }
        var options = SessionOptions.FromParams(vm.Params, SessionTransport.Ssh);
        await using var session = await GuestLogin.WaitForLoginAsync(vm, options, ct).ConfigureAwait(false);
        return await SftpAsync((SshSession)session, request, progress, ct).ConfigureAwait(false);
    }

    /// <summary>Copies to or from any host running the agent (only RSS needs no login).</summary>
    public static Task<TransferResult> CopyAsync(string host, int port, FileTransferProtocol protocol, GuestCopyRequest request, IProgress<TransferProgress>? progress = null,
        CancellationToken ct = default)
    {
        if (protocol != FileTransferProtocol.Rss)
            throw new TransferException($"{host}:{port}", request.Source,
                $"SFTP to an address needs a login: open an SSH session (Connect-VirtSession -Address {host} -Port {port} -Transport Ssh) and copy through it.");
        return RssAsync(host, port, request, progress, ct);
    }

    private static async Task<TransferResult> RssAsync(string host, int port, GuestCopyRequest request, IProgress<TransferProgress>? progress, CancellationToken ct)
    {
        var client = new RssFileTransferClient(host, port)
        {
            ChunkSize = request.ChunkSize ?? RssProtocol.DefaultChunkSize,
            Timeout = request.Timeout ?? TimeSpan.FromMinutes(30),
            VerifyChecksums = request.Verify,
        };
        return request.Direction == TransferDirection.Upload
            ? await client.UploadAsync(request.Source, request.Destination, request.Recurse, progress, ct).ConfigureAwait(false)
            : await client.DownloadAsync(request.Source, request.Destination, request.Recurse, progress, ct).ConfigureAwait(false);
    }

    private static async Task<TransferResult> SftpAsync(SshSession ssh, GuestCopyRequest request, IProgress<TransferProgress>? progress, CancellationToken ct)
    {
        await using var transfer = await SshFileTransfer.OpenAsync(ssh, ct).ConfigureAwait(false);
        transfer.VerifyChecksums = request.Verify;
        return (request.Direction, request.Recurse) switch
        {
            (TransferDirection.Upload, false) => await transfer.UploadFileAsync(request.Source, request.Destination, progress, ct).ConfigureAwait(false),
            (TransferDirection.Upload, true) => await transfer.UploadDirectoryAsync(request.Source, request.Destination, progress, ct).ConfigureAwait(false),
            (_, false) => await transfer.DownloadFileAsync(request.Source, request.Destination, progress, ct).ConfigureAwait(false),
            (_, true) => await transfer.DownloadDirectoryAsync(request.Source, request.Destination, progress, ct).ConfigureAwait(false),
        };
    }
}
