using VirtTest.Core.Vm;

namespace VirtTest.Core.Session;

/// <summary>
/// The established <c>wait_for_login</c>: keeps trying to get a logged-in shell on the guest
/// until the deadline (the guest may still be booting), over the serial console, SSH, or the
/// remote shell agent of Windows guests (which starts late in their boot).
/// A refused login is not retried: it fails at once with a typed error.
/// </summary>
public static class GuestLogin
{
    public static async Task<GuestSession> WaitForLoginAsync(VirtualMachine vm, SessionOptions options, CancellationToken ct = default)
    {
        var deadline = DateTime.UtcNow + options.Timeout;
        return options.Transport switch
        {
            SessionTransport.Serial => await SerialAsync(vm, options, deadline, ct).ConfigureAwait(false),
            SessionTransport.Ssh => await SshAsync(vm, options, deadline, ct).ConfigureAwait(false),
            SessionTransport.Rss => await RssAsync(vm, options, deadline, ct).ConfigureAwait(false),
            _ => throw new ArgumentOutOfRangeException(nameof(options), options.Transport, "unknown transport"),
        };
    }

    /// <summary>
    /// The same for a host without a VM object (a guest reached by address, any host running
    /// the agent or sshd): SSH or the remote shell at <paramref name="host"/>:<paramref name="port"/>.
    /// </summary>
    public static async Task<GuestSession> WaitForLoginAsync(string host, int port, SessionOptions options, CancellationToken ct = default)
    {
        return options.Transport switch
        {
            SessionTransport.Ssh => await SshSession.ConnectAsync(SshOptions(host, port, options, null), options.Timeout, ct).ConfigureAwait(false),
            SessionTransport.Rss => await RemoteShellSession.ConnectAsync(RssOptions(host, port, options, null, null), options.Timeout, ct).ConfigureAwait(false),
            _ => throw new ArgumentException($"A {options.Transport} session needs a VM: only SSH and the remote shell (Rss) connect to an address.", nameof(options)),
        };
    }

    private static TimeSpan Left(DateTime deadline) => deadline - DateTime.UtcNow is var l && l > TimeSpan.Zero ? l : TimeSpan.Zero;

    private static async Task<GuestSession> SerialAsync(VirtualMachine vm, SessionOptions options, DateTime deadline, CancellationToken ct)
    {
        if (!vm.Supports(VmCapability.SerialConsole)) throw new NotSupportedByBackendException(vm.BackendName, VmCapability.SerialConsole);
        var session = await SerialSession.ConnectAsync(vm, options.ShellPrompt, Left(deadline), options.LogPath, ct, options.Dialect).ConfigureAwait(false);
        try
        {
            await SerialLogin.LoginAsync(session, options.UserName, options.Password, Left(deadline), ct).ConfigureAwait(false);
            return session;
        }
        catch
        {
            await session.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    private static async Task<GuestSession> SshAsync(VirtualMachine vm, SessionOptions options, DateTime deadline, CancellationToken ct)
    {
        if (vm.State is not (VmState.Running or VmState.Paused))
            throw new VmStateException(vm.Name, vm.State, "open an SSH session to", vm.State == VmState.Dead ? vm.DeathReason : null);
        // A forwarded port (user-mode networking) first; otherwise the guest's own address.
        var endpoint = vm.GetGuestPortEndpoint(options.ShellPort) ?? await GuestAddressEndpointAsync(vm, options.ShellPort, deadline, ct).ConfigureAwait(false);
        return await SshSession.ConnectAsync(SshOptions(endpoint.Host, endpoint.Port, options, vm.Name), Left(deadline), ct).ConfigureAwait(false);
    }

    private static async Task<GuestSession> RssAsync(VirtualMachine vm, SessionOptions options, DateTime deadline, CancellationToken ct)
    {
        if (vm.State is not (VmState.Running or VmState.Paused))
            throw new VmStateException(vm.Name, vm.State, "open a remote shell session to", vm.State == VmState.Dead ? vm.DeathReason : null);
        var endpoint = vm.GetGuestPortEndpoint(options.ShellPort) ?? throw new VmException(vm.Name,
            $"VM '{vm.Name}' has no route from the host to guest port {options.ShellPort}: with user-mode networking set redirs = remote_shell file_transfer, guest_port_remote_shell = {options.ShellPort} and guest_port_file_transfer = {options.FileTransferPort}.");
        var files = vm.GetGuestPortEndpoint(options.FileTransferPort);
        return await RemoteShellSession.ConnectAsync(RssOptions(endpoint.Host, endpoint.Port, options, vm.Name, files), Left(deadline), ct).ConfigureAwait(false);
    }

    private static SshConnectionOptions SshOptions(string host, int port, SessionOptions options, string? vmName) => new()
    {
        Host = host,
        Port = port,
        UserName = options.UserName,
        Password = options.Password,
        PrivateKeyPath = options.PrivateKeyPath,
        KnownHostsPath = options.KnownHostsPath,
        HostKeyPolicy = options.HostKeyPolicy.Equals("strict", StringComparison.OrdinalIgnoreCase) ? SshHostKeyPolicy.Strict : SshHostKeyPolicy.AcceptNew,
        ShellPrompt = options.ShellPrompt,
        VmName = vmName,
    };

    private static RemoteShellOptions RssOptions(string host, int port, SessionOptions options, string? vmName, (string Host, int Port)? files) => new()
    {
        Host = host,
        Port = port,
        Dialect = options.Dialect,
        ShellPrompt = options.ShellPrompt,
        VmName = vmName,
        FileTransferEndpoint = files,
    };
    private static async Task<(string Host, int Port)> GuestAddressEndpointAsync(VirtualMachine vm, int port, DateTime deadline, CancellationToken ct)
    {
        var address = await Network.VmAddressResolver.WaitForReachableAsync(vm, new Network.AddressQuery(), Left(deadline), ct).ConfigureAwait(false);
        return (address.PreferredAddress!.ToString(), port);
    }
}
