using System.Management.Automation;
using VirtTest.Core.Network;
using VirtTest.PowerShell.Internal;

namespace VirtTest.PowerShell.Cmdlets;

/// <summary><c>Remove-VirtTestNetwork</c>: removes test networks with everything in them.</summary>
[Cmdlet(VerbsCommon.Remove, "VirtTestNetwork", DefaultParameterSetName = NetworkSet, SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
[OutputType(typeof(void))]
public sealed class RemoveVirtTestNetworkCommand : VirtCmdlet
{
    private const string NetworkSet = "Network";
    private const string NameSet = "Name";

    /// <summary>The networks to remove.</summary>
    [Parameter(ParameterSetName = NetworkSet, Mandatory = true, Position = 0, ValueFromPipeline = true)]
    [ValidateNotNull]
    public TestNetwork[] Network { get; set; } = Array.Empty<TestNetwork>();

    /// <summary>Names of networks of this session (wildcards allowed).</summary>
    [Parameter(ParameterSetName = NameSet, Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [SupportsWildcards]
    [ValidateNotNullOrEmpty]
    public string[] Name { get; set; } = Array.Empty<string>();

    /// <inheritdoc />
    protected override void ProcessRecord()
    {
        var networks = ParameterSetName == NetworkSet ? Network : TestNetworkLookup.Find(this, Name);
        foreach (var network in networks)
        {
            if (!ShouldProcess($"{network.Name} ({network.Subnet})", "Remove test network")) continue;
            TryAwait(network, async _ => await network.DisposeAsync().ConfigureAwait(false));
        }
    }
}
