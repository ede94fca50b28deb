namespace VirtTest.Core.Network;

/// <summary>
/// Operations on network interfaces of any kind, in the host's namespace
/// (<c>networkNamespace</c> null) or a named one.
/// </summary>
public static class NetworkLink
{
    /// <summary>Every interface of a namespace.</summary>
    public static async Task<IReadOnlyList<LinkInfo>> ListAsync(string? networkNamespace, CancellationToken ct = default) =>
        LinkInfo.Parse(await IpCommand.JsonAsync(networkNamespace, new[] { "-d", "link", "show" }, ct).ConfigureAwait(false), networkNamespace);

    /// <summary>One interface, or null when it does not exist there.</summary>
    public static async Task<LinkInfo?> FindAsync(string name, string? networkNamespace, CancellationToken ct = default)
    {
        InterfaceName.Validate(name);
        var result = await IpCommand.TryRunAsync(networkNamespace, new[] { "-j", "-d", "link", "show", "dev", name }, ct).ConfigureAwait(false);
        if (!result.Succeeded)
        {
            var error = IpCommand.ToException(result, networkNamespace);
            if (error is NetworkObjectNotFoundException && error.ObjectName == name) return null;
            throw error;
        }
        var array = System.Text.Json.Nodes.JsonNode.Parse(result.StandardOutput) as System.Text.Json.Nodes.JsonArray;
        return array is null ? null : LinkInfo.Parse(array, networkNamespace).FirstOrDefault();
    }

    public static Task SetUpAsync(string name, string? networkNamespace, CancellationToken ct = default) =>
        IpCommand.RunAsync(networkNamespace, new[] { "link", "set", "dev", name, "up" }, ct);

    /// <summary>Makes <paramref name="name"/> a port of <paramref name="bridge"/> (both in the same namespace) and sets it up.</summary>
    public static Task SetMasterAsync(string name, string bridge, string? networkNamespace, CancellationToken ct = default) =>
        IpCommand.RunAsync(networkNamespace, new[] { "link", "set", "dev", name, "master", bridge, "up" }, ct);

    /// <summary>Adds an address in CIDR form (e.g. 10.231.4.1/24) to an interface.</summary>
    public static Task AddAddressAsync(string name, string cidr, string? networkNamespace, CancellationToken ct = default) =>
        IpCommand.RunAsync(networkNamespace, new[] { "addr", "add", cidr, "dev", name }, ct);

    /// <summary>Moves an interface from one namespace to another (null: the host's).</summary>
    public static Task MoveAsync(string name, string? fromNamespace, string? toNamespace, CancellationToken ct = default) =>
        // The host's namespace is that of PID 1 (ip link set ... netns takes a pid or a name).
        IpCommand.RunAsync(fromNamespace, new[] { "link", "set", "dev", name, "netns", toNamespace ?? "1" }, ct);

    /// <summary>Deletes an interface; false when it was gone already.</summary>
    public static async Task<bool> DeleteAsync(string name, string? networkNamespace, CancellationToken ct = default)
    {
        var result = await IpCommand.TryRunAsync(networkNamespace, new[] { "link", "del", "dev", name }, ct).ConfigureAwait(false);
        if (result.Succeeded) return true;
        var error = IpCommand.ToException(result, networkNamespace);
        if (error is NetworkObjectNotFoundException) return false;
        throw error;
    }
}
