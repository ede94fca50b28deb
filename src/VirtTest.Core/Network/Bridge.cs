namespace VirtTest.Core.Network;

/// <summary>Linux bridges: created for test networks, looked up for NICs that name one (<c>netdst</c>).</summary>
public static class Bridge
{
    /// <summary>Creates a bridge (recorded in the ledger first) and sets it up.</summary>
    public static async Task CreateAsync(string name, string? networkNamespace, NetworkObjectLedger? ledger = null, CancellationToken ct = default)
    {
        InterfaceName.Validate(name);
        ledger ??= NetworkObjectLedger.Default;
        if (!ledger.TryRecord(NetworkObjectKind.Link, name, networkNamespace))
            throw new NetworkObjectExistsException(name, $"Interface '{name}' is recorded as created by another VirtTest process ({ledger.StatePath}).");
        try
        {
            await IpCommand.RunAsync(networkNamespace, new[] { "link", "add", "name", name, "type", "bridge" }, ct).ConfigureAwait(false);
            await NetworkLink.SetUpAsync(name, networkNamespace, ct).ConfigureAwait(false);
        }
        catch
        {
            await IpCommand.TryRunAsync(networkNamespace, new[] { "link", "del", "dev", name }, CancellationToken.None).ConfigureAwait(false);
            ledger.Forget(NetworkObjectKind.Link, name);
            throw;
        }
    }

    /// <summary>
    /// The bridge named <paramref name="name"/>; a <see cref="BridgeNotFoundException"/> naming
    /// it when there is no such interface, or it is not a bridge, or its namespace is missing.
    /// </summary>
    public static async Task<LinkInfo> RequireAsync(string name, string? networkNamespace, CancellationToken ct = default)
    {
        try
        {
            InterfaceName.Validate(name);
        }
        catch (InterfaceNameException ex)
        {
            throw new BridgeNotFoundException(name, networkNamespace, ex.Message);
        }
        LinkInfo? link;
        try
        {
            link = await NetworkLink.FindAsync(name, networkNamespace, ct).ConfigureAwait(false);
        }
        catch (NetworkObjectNotFoundException ex) when (networkNamespace is not null && ex.ObjectName == networkNamespace)
        {
            throw new BridgeNotFoundException(name, networkNamespace, "the namespace does not exist");
        }
        if (link is null) throw new BridgeNotFoundException(name, networkNamespace);
        if (!link.IsBridge)
            throw new BridgeNotFoundException(name, networkNamespace, $"'{name}' is a {(link.Kind.Length == 0 ? "device" : link.Kind + " interface")}, not a bridge");
        return link;
    }

    /// <summary>The ports of a bridge (the interfaces whose master it is).</summary>
    public static async Task<IReadOnlyList<LinkInfo>> PortsAsync(string name, string? networkNamespace, CancellationToken ct = default) =>
        (await NetworkLink.ListAsync(networkNamespace, ct).ConfigureAwait(false)).Where(l => l.Master == name).ToList();

    /// <summary>Makes an interface a port of the bridge (checked to exist first) and sets it up.</summary>
    public static async Task AttachAsync(string bridge, string port, string? networkNamespace, CancellationToken ct = default)
    {
        await RequireAsync(bridge, networkNamespace, ct).ConfigureAwait(false);
        await NetworkLink.SetMasterAsync(port, bridge, networkNamespace, ct).ConfigureAwait(false);
    }
}
