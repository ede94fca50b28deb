using System.Management.Automation;
using VirtTest.Core.Network;

namespace VirtTest.PowerShell.Cmdlets;

/// <summary>
/// <c>New-VirtTestNetwork</c>: a private network for tests (namespace, bridge, dnsmasq, veth
/// to the host), removed by <c>Remove-VirtTestNetwork</c> or when the session ends.
/// </summary>
[Cmdlet(VerbsCommon.New, "VirtTestNetwork", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Low)]
[OutputType(typeof(TestNetwork))]
public sealed class NewVirtTestNetworkCommand : VirtCmdlet
{
    /// <summary>Do not run dnsmasq: guests get no address by DHCP.</summary>
    [Parameter]
    public SwitchParameter NoDhcp { get; set; }

    /// <summary>Do not link the network to the host's namespace (no veth, no host address).</summary>
    [Parameter]
    public SwitchParameter NoHostLink { get; set; }

    /// <summary>A /24 to use (e.g. 10.231.7.0/24) instead of a free one from the host-wide pool.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? Subnet { get; set; }

    /// <summary>DHCP lease time in seconds (at least 120; default 3600).</summary>
    [Parameter]
    [ValidateRange(120, 31_536_000)]
    public int LeaseTimeSec { get; set; } = 3600;

    /// <inheritdoc />
    protected override void EndProcessingCore()
    {
        Ipv4Subnet? subnet = null;
        if (Subnet is not null)
        {
            try
            {
                subnet = Ipv4Subnet.Parse(Subnet);
            }
            catch (FormatException ex)
            {
                ThrowTerminatingError(ErrorRecords.FromException(new ArgumentException(ex.Message, nameof(Subnet), ex), Subnet));
            }
        }
        var options = new TestNetworkOptions
        {
            Dhcp = !NoDhcp.IsPresent,
            HostLink = !NoHostLink.IsPresent,
            Subnet = subnet,
            LeaseTime = TimeSpan.FromSeconds(LeaseTimeSec),
        };
        var what = subnet is null ? "network namespace, bridge" : $"network namespace, bridge on {subnet}";
        if (!ShouldProcess(what + (options.Dhcp ? ", dnsmasq" : "") + (options.HostLink ? ", veth to the host" : ""), "Create test network")) return;
        TestNetwork? network = null;
        if (TryAwait(Subnet, async ct => network = await TestNetwork.CreateAsync(options, ct).ConfigureAwait(false)))
        {
            WriteObject(network);
        }
    }
}
