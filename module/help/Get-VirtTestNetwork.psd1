# Help source for Get-VirtTestNetwork (see module/help/Expand-VirtConfig.psd1 for the format).
@{
    Synopsis    = 'Gets the test networks of this session.'

    Description = @(
        'Get-VirtTestNetwork writes the test networks New-VirtTestNetwork created in this PowerShell process and that were not removed yet, ordered by name. The table shows each network''s name (also its namespace''s name), subnet, bridge, host address, whether it runs DHCP and how many leases it has handed out.'
    )

    Parameters  = @{
        Name = 'Specifies network names; wildcards are allowed (default: all). A name without wildcards that matches no network is a VirtTest.TestNetworkNotFound error. Binds from the Name property of piped objects.'
    }

    Inputs      = @(
        @{ Type = 'System.String'; Description = 'Network names, from the Name property of piped objects.' }
    )

    Outputs     = @(
        @{ Type = 'VirtTest.Core.Network.TestNetwork'; Description = 'The networks of the session.' }
    )

    Notes       = @()

    Examples    = @(
        @{
            Title   = 'List the networks and their DHCP leases'
            Code    = @'
$net = New-VirtTestNetwork
Get-VirtTestNetwork
Get-VirtTestNetwork -Name $net.Name | ForEach-Object { $_.GetLeases() }
Remove-VirtTestNetwork $net
'@
            Remarks = 'Lists the networks of the session; GetLeases() returns the DHCP leases of one (none here: no guest asked yet).'
        }
    )

    RelatedLinks = @('New-VirtTestNetwork', 'Remove-VirtTestNetwork', 'about_VirtTest')
}
