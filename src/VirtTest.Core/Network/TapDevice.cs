namespace VirtTest.Core.Network;

/// <summary>
/// Persistent tap devices made by VirtTest for a VM's NIC: created in the host's namespace
/// (where the hypervisor opens them by name), then put on the NIC's bridge, moved first into
/// the bridge's namespace when that is a test namespace (a tap keeps working for the process
/// that has it open when it moves). Deleted with the VM; a crashed run's taps are cleaned
/// through the ledger.
/// </summary>
public static class TapDevice
{
    /// <summary>How often a fresh id is tried when the tap name is taken.</summary>
    private const int NameAttempts = 50;

    /// <summary>
    /// Creates a tap named after the VM and NIC (<see cref="InterfaceName.ForTap"/>) in the
    /// host's namespace and returns its name. <paramref name="multiQueue"/> must match how the
    /// hypervisor opens it (QEMU: <c>queues</c> &gt; 1).
    /// </summary>
    public static async Task<string> CreateForNicAsync(string vmName, string nicName, bool multiQueue, NetworkObjectLedger? ledger = null, CancellationToken ct = default)
    {
        ledger ??= NetworkObjectLedger.Default;
        for (var attempt = 0; attempt < NameAttempts; attempt++)
        {
            var name = InterfaceName.ForTap(vmName, nicName, InterfaceName.NewId(2));
            if (!ledger.TryRecord(NetworkObjectKind.Link, name, null)) continue;
            if (await NetworkLink.FindAsync(name, null, ct).ConfigureAwait(false) is not null)
            {
                // Someone else's interface (not in the ledger): leave it alone, try another id.
                ledger.Forget(NetworkObjectKind.Link, name);
                continue;
            }
            await CreateRecordedAsync(name, multiQueue, ledger, ct).ConfigureAwait(false);
            return name;
        }
        throw new NetworkException(null, $"No free tap name for VM '{vmName}' NIC '{nicName}' after {NameAttempts} attempts (ledger {ledger.StatePath}).");
    }

    /// <summary>Creates a tap of a given name in the host's namespace.</summary>
    public static async Task CreateAsync(string name, bool multiQueue, NetworkObjectLedger? ledger = null, CancellationToken ct = default)
    {
        InterfaceName.Validate(name);
        ledger ??= NetworkObjectLedger.Default;
        if (!ledger.TryRecord(NetworkObjectKind.Link, name, null))
            throw new NetworkObjectExistsException(name, $"Interface '{name}' is recorded as created by another VirtTest process ({ledger.StatePath}).");
        await CreateRecordedAsync(name, multiQueue, ledger, ct).ConfigureAwait(false);
    }

    private static async Task CreateRecordedAsync(string name, bool multiQueue, NetworkObjectLedger ledger, CancellationToken ct)
    {
        var args = new List<string> { "tuntap", "add", "dev", name, "mode", "tap", "vnet_hdr" };
        if (multiQueue) args.Add("multi_queue");
        try
        {
            await IpCommand.RunAsync(null, args, ct).ConfigureAwait(false);
        }
        catch
        {
            ledger.Forget(NetworkObjectKind.Link, name);
            throw;
        }
    }

    /// <summary>
    /// Puts a tap (in the host's namespace) on a bridge: moved into the bridge's namespace
    /// first when that is not the host's. The bridge is checked first: a missing one is a
    /// <see cref="BridgeNotFoundException"/> and the tap stays where it was.
    /// </summary>
    public static async Task AttachToBridgeAsync(string tap, string bridge, string? bridgeNamespace, NetworkObjectLedger? ledger = null, CancellationToken ct = default)
    {
        ledger ??= NetworkObjectLedger.Default;
        await Bridge.RequireAsync(bridge, bridgeNamespace, ct).ConfigureAwait(false);
        if (bridgeNamespace is not null)
        {
            await NetworkLink.MoveAsync(tap, null, bridgeNamespace, ct).ConfigureAwait(false);
            ledger.Move(tap, bridgeNamespace);
        }
        await NetworkLink.SetMasterAsync(tap, bridge, bridgeNamespace, ct).ConfigureAwait(false);
    }

    /// <summary>Deletes a tap wherever it is now; false when it was gone already (its namespace deleted).</summary>
    public static async Task<bool> DeleteAsync(string tap, string? networkNamespace, NetworkObjectLedger? ledger = null, CancellationToken ct = default)
    {
        ledger ??= NetworkObjectLedger.Default;
        bool deleted;
        try
        {
            deleted = await NetworkLink.DeleteAsync(tap, networkNamespace, ct).ConfigureAwait(false);
        }
        catch (NetworkObjectNotFoundException)
        {
            deleted = false; // the namespace is gone, and the tap with it
        }
        ledger.Forget(NetworkObjectKind.Link, tap);
        return deleted;
    }
}
