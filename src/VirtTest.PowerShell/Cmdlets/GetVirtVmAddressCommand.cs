using System.Management.Automation;
using VirtTest.Core.Network;
using VirtTest.Core.Session;
using VirtTest.Core.Vm;

namespace VirtTest.PowerShell.Cmdlets;

/// <summary>
/// <c>Get-VirtVmAddress</c>: per NIC of a VM its MAC and IPv4/IPv6 addresses, from the DHCP
/// leases of its test network or from the guest itself over a session.
/// </summary>
[Cmdlet(VerbsCommon.Get, "VirtVmAddress", DefaultParameterSetName = VmSet)]
[OutputType(typeof(VmAddress))]
public sealed class GetVirtVmAddressCommand : VmCmdlet
{
    /// <summary>Where to look: Any (default), DhcpLease, Guest, or the hypervisor's LibvirtLease, LibvirtArp, LibvirtAgent.</summary>
    [Parameter]
    [ValidateSet("Any", "DhcpLease", "Guest", "LibvirtLease", "LibvirtArp", "LibvirtAgent")]
    public string Source { get; set; } = "Any";

    /// <summary>A session on the guest, to ask the guest for its own view (needed for -Source Guest).</summary>
    [Parameter]
    [ValidateNotNull]
    public GuestSession? Session { get; set; }

    /// <summary>Only these NICs (names from the params or the guest's interface names; wildcards allowed).</summary>
    [Parameter]
    [SupportsWildcards]
    [ValidateNotNullOrEmpty]
    public string[]? Nic { get; set; }

    /// <summary>Wait up to this many seconds until every NIC has an address (default 0: answer at once).</summary>
    [Parameter]
    [ValidateRange(0, 86400)]
    public double WaitSec { get; set; }

    /// <inheritdoc />
    protected override void ProcessVm(VirtualMachine vm)
    {
        var query = new AddressQuery
        {
            Source = Source == "Any" ? null : Enum.Parse<AddressSource>(Source),
            Session = Session,
        };
        IReadOnlyList<VmAddress> addresses = Array.Empty<VmAddress>();
        if (!TryAwait(vm, async ct => addresses = WaitSec > 0
                ? await VmAddressResolver.WaitAsync(vm, query, TimeSpan.FromSeconds(WaitSec), ct).ConfigureAwait(false)
                : await VmAddressResolver.ResolveAsync(vm, query, ct).ConfigureAwait(false)))
            return;
        var patterns = Nic?.Select(n => new WildcardPattern(n, WildcardOptions.IgnoreCase)).ToList();
        foreach (var address in addresses)
        {
            if (patterns is null || patterns.Any(p => (address.Nic is not null && p.IsMatch(address.Nic)) || (address.GuestInterface is not null && p.IsMatch(address.GuestInterface))))
                WriteObject(address);
        }
    }
}
