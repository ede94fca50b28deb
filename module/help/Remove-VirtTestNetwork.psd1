# Help source for Remove-VirtTestNetwork (see module/help/Expand-VirtConfig.psd1 for the format).
@{
    Synopsis    = 'Removes test networks with everything in them.'

    Description = @(
        'Remove-VirtTestNetwork stops the network''s dnsmasq, deletes the host end of its veth pair and deletes its namespace after ending every process still in it; the bridge, the veth peer and every tap moved into the namespace go with it. Its runtime folder and its subnet reservation are released, and its entries leave the host-wide ledger.'
        'Each step runs even when an earlier one failed; the first failure is reported afterwards as an error about that network. Removing a network twice is harmless.'
    )

    Parameters  = @{
        Network = 'Specifies the networks to remove, as objects from New-VirtTestNetwork or Get-VirtTestNetwork. Accepts networks from the pipeline.'
        Name    = 'Specifies the networks to remove by name; wildcards are allowed. A name without wildcards that matches no network of the session is a VirtTest.TestNetworkNotFound error. Binds from the Name property of piped objects.'
    }

    Inputs      = @(
        @{ Type = 'VirtTest.Core.Network.TestNetwork'; Description = 'Networks from New-VirtTestNetwork or Get-VirtTestNetwork.' }
        @{ Type = 'System.String'; Description = 'Network names, from the Name property of piped objects.' }
    )

    Outputs     = @(
        @{ Type = 'None'; Description = 'Remove-VirtTestNetwork writes nothing.' }
    )

    Notes       = @()

    Examples    = @(
        @{
            Title   = 'Remove a network by name'
            Code    = @'
$net = New-VirtTestNetwork -NoDhcp
Remove-VirtTestNetwork -Name $net.Name
@(Get-VirtTestNetwork).Count
'@
            Remarks = 'The network is gone from the host and from the session.'
        }
    )

    RelatedLinks = @('New-VirtTestNetwork', 'Get-VirtTestNetwork', 'about_VirtTest')
}
