using VirtTest.Core.Vm;

namespace VirtTest.Core.Session;

/// <summary>
/// The established <c>wait_for_login</c>: keeps trying to get a logged-in shell on the guest
/// until the deadline (the guest may still be booting), over the serial console or SSH.
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
            _ => throw new ArgumentOutOfRangeException(nameof(options), options.Transport, "unknown transport"),
        };
    }

    private static TimeSpan Left(DateTime deadline) => deadline - DateTime.UtcNow is var l && l > TimeSpan.Zero ? l : TimeSpan.Zero;

    private static async Task<GuestSession> SerialAsync(VirtualMachine vm, SessionOptions options, DateTime deadline, CancellationToken ct)
    {
        if (!vm.Supports(VmCapability.SerialConsole)) throw new NotSupportedByBackendException(vm.BackendName, VmCapability.SerialConsole);
        var session = await SerialSession.ConnectAsync(vm, options.ShellPrompt, Left(deadline), options.LogPath, ct).ConfigureAwait(false);
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
        var ssh = new SshConnectionOptions
        {
            Host = endpoint.Host,
            Port = endpoint.Port,
            UserName = options.UserName,
            Password = options.Password,
            PrivateKeyPath = options.PrivateKeyPath,
            KnownHostsPath = options.KnownHostsPath,
            HostKeyPolicy = options.HostKeyPolicy.Equals("strict", StringComparison.OrdinalIgnoreCase) ? SshHostKeyPolicy.Strict : SshHostKeyPolicy.AcceptNew,
            ShellPrompt = options.ShellPrompt,
            VmName = vm.Name,
        };
        return await SshSession.ConnectAsync(ssh, Left(deadline), ct).ConfigureAwait(false);
    }

    private static async Task<(string Host, int Port)> GuestAddressEndpointAsync(VirtualMachine vm, int port, DateTime deadline, CancellationToken ct)
    {
        var address = await Network.VmAddressResolver.WaitForReachableAsync(vm, new Network.AddressQuery(), Left(deadline), ct).ConfigureAwait(false);
        return (address.PreferredAddress!.ToString(), port);
    }
}
