using System.Management.Automation;
using System.Net;
using VirtTest.Core.Network;
using VirtTest.Core.Session;
using VirtTest.Core.Vm;

namespace VirtTest.PowerShell.Cmdlets;

/// <summary>
/// <c>Test-VirtGuestConnection</c>: pings a guest from the host, or an address or another
/// guest from a guest (over a session), and reports how many replies came back.
/// </summary>
// The default set is the one a lone -Address picks (host to any address); a VM or session given picks its own set.
[Cmdlet(VerbsDiagnostic.Test, "VirtGuestConnection", DefaultParameterSetName = ToAddressSet)]
[OutputType(typeof(PingResult), typeof(bool))]
public sealed class TestVirtGuestConnectionCommand : VirtCmdlet
{
    private const string ToGuestSet = "ToGuest";
    private const string ToVmAddressSet = "ToVmAddress";
    private const string ToAddressSet = "ToAddress";
    private const string FromGuestSet = "FromGuest";
    private const string GuestToGuestSet = "GuestToGuest";

    /// <summary>The VM to ping from the host.</summary>
    [Parameter(ParameterSetName = ToGuestSet, Mandatory = true, Position = 0, ValueFromPipeline = true)]
    [ValidateNotNull]
    public VirtualMachine? Vm { get; set; }

    /// <summary>An address from Get-VirtVmAddress to ping from the host.</summary>
    [Parameter(ParameterSetName = ToVmAddressSet, Mandatory = true, ValueFromPipeline = true)]
    [ValidateNotNull]
    public VmAddress? VmAddress { get; set; }

    /// <summary>The session whose guest sends the pings.</summary>
    [Parameter(ParameterSetName = FromGuestSet, Mandatory = true, Position = 0)]
    [Parameter(ParameterSetName = GuestToGuestSet, Mandatory = true, Position = 0)]
    [ValidateNotNull]
    public GuestSession? Session { get; set; }

    /// <summary>The address to ping: of the guest (from the host; default: its known address), any address from the host, or any from a guest.</summary>
    [Parameter(ParameterSetName = ToGuestSet, Position = 1)]
    [Parameter(ParameterSetName = ToAddressSet, Mandatory = true)]
    [Parameter(ParameterSetName = FromGuestSet, Mandatory = true, Position = 1)]
    [ValidateNotNullOrEmpty]
    public string? Address { get; set; }

    /// <summary>The guest to ping from the session's guest (its address from its test network's leases, or from -TargetSession).</summary>
    [Parameter(ParameterSetName = GuestToGuestSet, Mandatory = true)]
    [ValidateNotNull]
    public VirtualMachine? TargetVm { get; set; }

    /// <summary>A session on the target guest, to ask it for its address when no lease tells it.</summary>
    [Parameter(ParameterSetName = GuestToGuestSet)]
    [ValidateNotNull]
    public GuestSession? TargetSession { get; set; }

    /// <summary>Ping from inside this network namespace instead of the host's (default: the test network's namespace when it has no host link).</summary>
    [Parameter(ParameterSetName = ToGuestSet)]
    [Parameter(ParameterSetName = ToVmAddressSet)]
    [Parameter(ParameterSetName = ToAddressSet)]
    [ValidateNotNullOrEmpty]
    public string? NetworkNamespace { get; set; }

    /// <summary>Echo requests to send (default 3).</summary>
    [Parameter]
    [ValidateRange(1, 10000)]
    public int Count { get; set; } = 3;

    /// <summary>Seconds to wait for each reply (default 2).</summary>
    [Parameter]
    [ValidateRange(1, 600)]
    public int ReplyTimeoutSec { get; set; } = 2;

    /// <summary>Write only True (at least one reply) or False.</summary>
    [Parameter]
    public SwitchParameter Quiet { get; set; }

    /// <inheritdoc />
    protected override void ProcessRecord()
    {
        var options = new PingOptions { Count = Count, ReplyTimeoutSec = ReplyTimeoutSec };
        PingResult? result = null;
        var target = (object?)Vm ?? (object?)VmAddress ?? (object?)Session ?? Address;
        var ok = TryAwait(target, async ct => result = ParameterSetName switch
        {
            ToGuestSet => await PingGuestAsync(Vm!, options, ct).ConfigureAwait(false),
            ToVmAddressSet => await PingVmAddressAsync(VmAddress!, options, ct).ConfigureAwait(false),
            ToAddressSet => await GuestConnectivity.PingFromHostAsync(ParseAddress(), options, NetworkNamespace, ct).ConfigureAwait(false),
            FromGuestSet => await GuestConnectivity.PingFromGuestAsync(Session!, Address!, options, ct).ConfigureAwait(false),
            _ => await PingGuestToGuestAsync(options, ct).ConfigureAwait(false),
        });
        if (!ok) return;
        if (Quiet.IsPresent) WriteObject(result!.Succeeded);
        else WriteObject(result);
    }

    private async Task<PingResult> PingGuestAsync(VirtualMachine vm, PingOptions options, CancellationToken ct)
    {
        if (Address is not null) return await GuestConnectivity.PingFromHostAsync(ParseAddress(), options, NetworkNamespace, ct).ConfigureAwait(false);
        var known = (await VmAddressResolver.ResolveAsync(vm, new AddressQuery(), ct).ConfigureAwait(false)).FirstOrDefault(a => a.PreferredAddress is not null)
            ?? throw new NetworkException(vm.Name, $"No address of VM '{vm.Name}' is known from its test network's leases; give -Address, or pipe in Get-VirtVmAddress -Session (the guest's own view).");
        return await PingVmAddressAsync(known, options, ct).ConfigureAwait(false);
    }

    private IPAddress ParseAddress() =>
        IPAddress.TryParse(Address, out var ip) ? ip : throw new ArgumentException($"'{Address}' is not an IP address (from the host, ping takes addresses only).", nameof(Address));

    private Task<PingResult> PingVmAddressAsync(VmAddress address, PingOptions options, CancellationToken ct)
    {
        var ip = address.PreferredAddress
            ?? throw new NetworkException(address.VmName, $"VM '{address.VmName}' NIC {address.Nic ?? address.GuestInterface} has no address to ping ({address.Source}).");
        return GuestConnectivity.PingFromHostAsync(ip, options, NetworkNamespace ?? NamespaceWithoutHostLink(address), ct);
    }

    private static string? NamespaceWithoutHostLink(VmAddress address) =>
        address.Network is { } name && TestNetworkRegistry.Default.Get(name) is { Options.HostLink: false } network ? network.Namespace : null;

    private async Task<PingResult> PingGuestToGuestAsync(PingOptions options, CancellationToken ct)
    {
        var query = new AddressQuery { Session = TargetSession };
        var target = (await VmAddressResolver.ResolveAsync(TargetVm!, query, ct).ConfigureAwait(false)).FirstOrDefault(a => a.PreferredAddress is not null)
            ?? throw new NetworkException(TargetVm!.Name, $"No address of VM '{TargetVm!.Name}' is known; give -TargetSession (to ask its guest) or ping its address with -Address.");
        return await GuestConnectivity.PingFromGuestAsync(Session!, target.PreferredAddress!.ToString(), options, ct).ConfigureAwait(false);
    }
}
