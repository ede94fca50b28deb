using System.Collections.Concurrent;
using System.Management.Automation;
using System.Management.Automation.Runspaces;
using System.Runtime.CompilerServices;
using VirtTest.Core.Session;
using VirtTest.Core.Vm;

namespace VirtTest.PowerShell.State;

/// <summary>
/// The VMs and guest sessions of one runspace. Names are per runspace, so two runspaces
/// (test workers, <c>ForEach-Object -Parallel</c>, a hosted runspace) may each have a
/// <c>vm1</c>. What a runspace created it owns: when the runspace closes, the module is
/// removed from it, or the process exits, its VMs are killed and its sessions closed.
/// Objects lent to it by someone else (the test runner's VMs and session, visible to a test
/// script) are only forgotten.
/// </summary>
public sealed class RunspaceInventory
{
    private static readonly ConditionalWeakTable<Runspace, RunspaceInventory> ByRunspace = new();
    // Strong references, so process exit reaches every runspace's VMs.
    private static readonly ConcurrentDictionary<RunspaceInventory, byte> Open = new();
    private static readonly TimeSpan KillWait = TimeSpan.FromSeconds(5);

    private readonly object _gate = new();
    private readonly Dictionary<string, (VirtualMachine Vm, bool Owned)> _vms = new(StringComparer.OrdinalIgnoreCase);
    private readonly Dictionary<GuestSession, bool> _sessions = new();

    static RunspaceInventory()
    {
        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            foreach (var state in Open.Keys) state.Close();
        };
    }

    private RunspaceInventory(Guid runspaceId) => RunspaceId = runspaceId;

    /// <summary>The runspace this state belongs to.</summary>
    public Guid RunspaceId { get; }

    /// <summary>The state of the runspace the calling thread runs (a cmdlet's pipeline thread).</summary>
    public static RunspaceInventory Current =>
        For(Runspace.DefaultRunspace ?? throw new InvalidOperationException("VirtTest cmdlets run in a PowerShell runspace; this thread has none."));

    /// <summary>The state of <paramref name="runspace"/>, created on first use and closed with the runspace.</summary>
    public static RunspaceInventory For(Runspace runspace)
    {
        ArgumentNullException.ThrowIfNull(runspace);
        return ByRunspace.GetValue(runspace, rs =>
        {
            var state = new RunspaceInventory(rs.InstanceId);
            Open[state] = 0;
            rs.StateChanged += OnRunspaceStateChanged;
            return state;
        });
    }

    /// <summary>The state of a runspace if it has one (no state is created).</summary>
    public static RunspaceInventory? Existing(Runspace runspace) => ByRunspace.TryGetValue(runspace, out var state) ? state : null;

    private static void OnRunspaceStateChanged(object? sender, RunspaceStateEventArgs e)
    {
        if (sender is not Runspace runspace || e.RunspaceStateInfo.State is not (RunspaceState.Closed or RunspaceState.Broken)) return;
        runspace.StateChanged -= OnRunspaceStateChanged;
        if (ByRunspace.TryGetValue(runspace, out var state))
        {
            ByRunspace.Remove(runspace);
            Open.TryRemove(state, out _);
            state.Close();
        }
    }

    /// <summary>Adds a VM under its name; a VM of that name in this runspace must be removed first.</summary>
    /// <param name="owned">False for a VM lent by its real owner (the runner): closing the runspace then leaves it alone.</param>
    public void AddVm(VirtualMachine vm, bool owned = true)
    {
        lock (_gate)
        {
            if (_vms.ContainsKey(vm.Name))
                throw new VmException(vm.Name, $"A VM named '{vm.Name}' already exists in this session; remove it first (Remove-VirtVm) or choose another name.");
            _vms[vm.Name] = (vm, owned);
        }
    }

    /// <summary>Forgets the VM (it is not stopped here).</summary>
    public bool RemoveVm(VirtualMachine vm)
    {
        lock (_gate)
        {
            return _vms.TryGetValue(vm.Name, out var entry) && ReferenceEquals(entry.Vm, vm) && _vms.Remove(vm.Name);
        }
    }

    public VirtualMachine? GetVm(string name)
    {
        lock (_gate) return _vms.TryGetValue(name, out var entry) ? entry.Vm : null;
    }

    /// <summary>Every VM of this runspace, by name.</summary>
    public IReadOnlyList<VirtualMachine> Vms
    {
        get { lock (_gate) return _vms.Values.Select(e => e.Vm).OrderBy(vm => vm.Name, StringComparer.OrdinalIgnoreCase).ToList(); }
    }

    /// <summary>The VMs this runspace created itself (not lent to it).</summary>
    public IReadOnlyList<VirtualMachine> OwnedVms
    {
        get { lock (_gate) return _vms.Values.Where(e => e.Owned).Select(e => e.Vm).OrderBy(vm => vm.Name, StringComparer.OrdinalIgnoreCase).ToList(); }
    }

    /// <summary>VMs whose name matches a PowerShell wildcard pattern (case-insensitive), by name.</summary>
    public IReadOnlyList<VirtualMachine> FindVms(string pattern)
    {
        var wildcard = new WildcardPattern(pattern, WildcardOptions.IgnoreCase | WildcardOptions.CultureInvariant);
        return Vms.Where(vm => wildcard.IsMatch(vm.Name)).ToList();
    }

    /// <summary>
    /// Makes <paramref name="vms"/> the VMs lent to this runspace, replacing those lent before
    /// (the runner calls this before each test with its env's VMs). Owned VMs stay.
    /// </summary>
    public void LendVms(IEnumerable<VirtualMachine> vms)
    {
        lock (_gate)
        {
            foreach (var name in _vms.Where(e => !e.Value.Owned).Select(e => e.Key).ToList()) _vms.Remove(name);
            foreach (var vm in vms)
            {
                if (!_vms.ContainsKey(vm.Name)) _vms[vm.Name] = (vm, false);
            }
        }
    }

    /// <summary>
    /// Hands the VMs this runspace created over to another owner (the runner adopts those a test
    /// script made); they stay visible here as lent ones.
    /// </summary>
    public IReadOnlyList<VirtualMachine> ReleaseOwnedVms()
    {
        lock (_gate)
        {
            var owned = _vms.Where(e => e.Value.Owned).Select(e => e.Value.Vm).ToList();
            foreach (var vm in owned) _vms[vm.Name] = (vm, false);
            return owned;
        }
    }

    /// <summary>Keeps a session; <paramref name="owned"/> false for one lent by the runner.</summary>
    public void AddSession(GuestSession session, bool owned = true)
    {
        lock (_gate) _sessions[session] = owned;
    }

    public void RemoveSession(GuestSession session)
    {
        lock (_gate) _sessions.Remove(session);
    }

    /// <summary>The open sessions of this runspace, oldest first.</summary>
    public IReadOnlyList<GuestSession> Sessions
    {
        get { lock (_gate) return _sessions.Keys.OrderBy(s => s.OpenedAt).ToList(); }
    }

    /// <summary>Closes and forgets every session of this runspace to the named VM.</summary>
    public async Task CloseSessionsForVmAsync(string vmName)
    {
        List<GuestSession> toClose;
        lock (_gate)
        {
            toClose = _sessions.Keys.Where(s => string.Equals(s.VmName, vmName, StringComparison.OrdinalIgnoreCase)).ToList();
            foreach (var s in toClose) _sessions.Remove(s);
        }
        foreach (var s in toClose) await s.DisposeAsync().ConfigureAwait(false);
    }

    /// <summary>
    /// Closes the sessions and kills the VMs this runspace owns, and forgets everything (lent
    /// objects are left to their owner). Synchronous and bounded: it runs at runspace close,
    /// module removal and process exit. The runspace may go on (after a module removal) with
    /// an empty inventory.
    /// </summary>
    public void Close()
    {
        List<GuestSession> sessions;
        List<VirtualMachine> vms;
        lock (_gate)
        {
            sessions = _sessions.Where(e => e.Value).Select(e => e.Key).ToList();
            vms = _vms.Values.Where(e => e.Owned).Select(e => e.Vm).ToList();
            _sessions.Clear();
            _vms.Clear();
        }
        foreach (var session in sessions)
        {
            try { session.DisposeAsync().AsTask().Wait(KillWait); } catch { /* best effort: the process or runspace is ending */ }
        }
        foreach (var vm in vms)
        {
            try { vm.DisposeAsync().AsTask().Wait(KillWait); } catch { /* best effort */ }
        }
    }
}
