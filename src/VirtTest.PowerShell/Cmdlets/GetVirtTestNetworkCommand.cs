using System.Management.Automation;
using VirtTest.Core.Network;
using VirtTest.PowerShell.Internal;

namespace VirtTest.PowerShell.Cmdlets;

/// <summary><c>Get-VirtTestNetwork</c>: the test networks of this session.</summary>
[Cmdlet(VerbsCommon.Get, "VirtTestNetwork")]
[OutputType(typeof(TestNetwork))]
public sealed class GetVirtTestNetworkCommand : VirtCmdlet
{
    /// <summary>Network names (wildcards allowed); all networks when omitted.</summary>
    [Parameter(Position = 0, ValueFromPipelineByPropertyName = true)]
    [SupportsWildcards]
    [ValidateNotNullOrEmpty]
    public string[] Name { get; set; } = { "*" };

    /// <inheritdoc />
    protected override void ProcessRecord()
    {
        foreach (var network in TestNetworkLookup.Find(this, Name)) WriteObject(network);
    }
}
