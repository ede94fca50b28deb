using VirtTest.Core.Config;
using VirtTest.Core.Resources;

namespace VirtTest.Core.Vm;

/// <summary>
/// The MAC addresses of one VM's NICs that its params leave open, taken from the host-wide
/// pool so that parallel VMs (also of other processes) never share one. They stay with the
/// VM across restarts and move with it to a migration's destination; they go back to the
/// pool when the VM object is disposed.
/// </summary>
public sealed class NicMacAddresses
{
    /// <summary>
    /// One pool handle per process, deliberately: the reservations live in a host-wide state file
    /// and the handle is thread-safe; what it holds for a process that is gone is reclaimed.
    /// </summary>
    private static readonly Lazy<MacAddressPool> Pool = new(() => new MacAddressPool());

    private readonly object _gate = new();
    private readonly Dictionary<string, string> _assigned = new(StringComparer.Ordinal);
    private bool _owned = true;

    /// <summary>The assigned addresses by NIC name (NICs whose params name a MAC are not here).</summary>
    public IReadOnlyDictionary<string, string> Assigned { get { lock (_gate) return new Dictionary<string, string>(_assigned, StringComparer.Ordinal); } }

    /// <summary>The params with <c>mac_&lt;nic&gt;</c> set for every NIC without a MAC (assigning them on first use).</summary>
    public VirtParams Apply(VirtParams vmParams)
    {
        lock (_gate)
        {
            if (_assigned.Count == 0 && _owned)
            {
                foreach (var nic in vmParams.Objects("nics"))
                {
                    if (vmParams.ObjectParams(nic).Get("mac") is not { Length: > 0 }) _assigned[nic] = Pool.Value.Allocate();
                }
            }
            if (_assigned.Count == 0) return vmParams;
            var withMacs = vmParams.Clone();
            foreach (var (nic, mac) in _assigned) withMacs["mac_" + nic] = mac;
            return withMacs;
        }
    }

    /// <summary>A copy for a migration destination: same addresses, owned by nobody until <see cref="TransferTo"/>.</summary>
    public NicMacAddresses ForDestination()
    {
        var copy = new NicMacAddresses { _owned = false };
        lock (_gate) foreach (var (nic, mac) in _assigned) copy._assigned[nic] = mac;
        return copy;
    }

    /// <summary>After a migration: the destination returns the addresses to the pool, this one no longer does.</summary>
    public void TransferTo(NicMacAddresses destination)
    {
        lock (_gate) _owned = false;
        lock (destination._gate) destination._owned = true;
    }

    /// <summary>Returns the addresses to the pool (when this object owns them).</summary>
    public void Release()
    {
        lock (_gate)
        {
            if (_owned) foreach (var mac in _assigned.Values) Pool.Value.Release(mac);
            _assigned.Clear();
        }
    }
}
