namespace VirtTest.Core.Network;

/// <summary>
/// The tap of one NIC of a running VM (<c>nettype = bridge</c>): created in the host's
/// namespace before the hypervisor starts, put on the NIC's bridge once the hypervisor has
/// opened it, deleted wherever it is when the VM stops, is killed or dies.
/// </summary>
public sealed class VmTap
{
    private readonly object _gate = new();
    private string? _namespace;
    private bool _deleted;

    private VmTap(string name, NicAttachment attachment)
    {
        Name = name;
        Attachment = attachment;
    }

    public string Name { get; }
    public string Nic => Attachment.Nic;
    public NicAttachment Attachment { get; }
    /// <summary>Where the tap is now: null for the host's namespace.</summary>
    public string? NetworkNamespace { get { lock (_gate) return _namespace; } }
    public bool IsAttached { get; private set; }

    /// <summary>Creates the tap (multi-queue when the NIC has more than one queue) in the host's namespace.</summary>
    public static async Task<VmTap> CreateAsync(string vmName, NicAttachment attachment, CancellationToken ct = default)
    {
        if (attachment.NetType != "bridge" || attachment.NetDst is null)
            throw new ArgumentException($"NIC {attachment.Nic} is not on a bridge (nettype = {attachment.NetType}).", nameof(attachment));
        // A crashed run's taps (on a host bridge they outlive it) go before the first new one.
        await LeftoverNetworkCleanup.RunOnceAsync(ct).ConfigureAwait(false);
        var name = await TapDevice.CreateForNicAsync(vmName, attachment.Nic, attachment.Queues > 1, ct: ct).ConfigureAwait(false);
        return new VmTap(name, attachment);
    }

    /// <summary>Moves the tap into the bridge's namespace (when it has one) and makes it a port of the bridge.</summary>
    public async Task AttachAsync(CancellationToken ct = default)
    {
        await TapDevice.AttachToBridgeAsync(Name, Attachment.NetDst!, Attachment.NetDstNamespace, ct: ct).ConfigureAwait(false);
        lock (_gate) _namespace = Attachment.NetDstNamespace;
        IsAttached = true;
    }

    /// <summary>Deletes the tap (once; a tap gone with its namespace is fine). Never throws: it runs while a VM is released.</summary>
    public async Task DeleteAsync()
    {
        string? ns;
        lock (_gate)
        {
            if (_deleted) return;
            _deleted = true;
            ns = _namespace;
        }
        try
        {
            // Not attached yet, or the move failed half-way: look in both places.
            if (!await TapDevice.DeleteAsync(Name, ns).ConfigureAwait(false) && ns is null && Attachment.NetDstNamespace is { } bridgeNs)
                await TapDevice.DeleteAsync(Name, bridgeNs).ConfigureAwait(false);
        }
        catch (NetworkException)
        {
            // Left in the ledger: the next run's leftover cleanup removes it.
        }
    }

    public override string ToString() => $"{Name} ({Nic} on {Attachment.NetDst})";
}
