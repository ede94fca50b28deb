namespace VirtTest.Core.Network;

/// <summary>
/// Veth pairs: two linked interfaces, one in the host's namespace and its peer in a test
/// namespace, so the test process reaches the test network with ordinary sockets.
/// </summary>
public static class VethPair
{
    /// <summary>
    /// Creates <paramref name="hostEnd"/> in the host's namespace and <paramref name="peerEnd"/>
    /// in <paramref name="peerNamespace"/>, both recorded in the ledger (the host end must be
    /// deleted explicitly: a namespace's links go away asynchronously after it is deleted).
    /// </summary>
    public static async Task CreateAsync(string hostEnd, string peerEnd, string peerNamespace, NetworkObjectLedger? ledger = null, CancellationToken ct = default)
    {
        InterfaceName.Validate(hostEnd);
        InterfaceName.Validate(peerEnd);
        ledger ??= NetworkObjectLedger.Default;
        if (!ledger.TryRecord(NetworkObjectKind.Link, hostEnd, null))
            throw new NetworkObjectExistsException(hostEnd, $"Interface '{hostEnd}' is recorded as created by another VirtTest process ({ledger.StatePath}).");
        try
        {
            await IpCommand.RunAsync(null, new[] { "link", "add", "name", hostEnd, "type", "veth", "peer", "name", peerEnd, "netns", peerNamespace }, ct).ConfigureAwait(false);
        }
        catch
        {
            await IpCommand.TryRunAsync(null, new[] { "link", "del", "dev", hostEnd }, CancellationToken.None).ConfigureAwait(false);
            ledger.Forget(NetworkObjectKind.Link, hostEnd);
            throw;
        }
    }
}
