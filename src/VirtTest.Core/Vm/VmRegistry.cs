using System.Collections.Concurrent;
using System.Text.RegularExpressions;

namespace VirtTest.Core.Vm;

/// <summary>
/// The VMs created in this process (a PowerShell session). It kills every VM that is still
/// running when the process exits, so an interrupted session leaves no hypervisor behind.
/// </summary>
public sealed class VmRegistry
{
    private readonly ConcurrentDictionary<string, VirtualMachine> _vms = new(StringComparer.OrdinalIgnoreCase);

    public static VmRegistry Default { get; } = new();

    static VmRegistry()
    {
        AppDomain.CurrentDomain.ProcessExit += (_, _) => Default.KillAll();
    }

    /// <summary>Adds a VM; a VM of the same name must be removed first.</summary>
    public void Add(VirtualMachine vm)
    {
        if (!_vms.TryAdd(vm.Name, vm))
            throw new VmException(vm.Name, $"A VM named '{vm.Name}' already exists in this session; remove it first (Remove-VirtVm) or choose another name.");
    }

    public bool Remove(VirtualMachine vm) => _vms.TryRemove(new KeyValuePair<string, VirtualMachine>(vm.Name, vm));

    public VirtualMachine? Get(string name) => _vms.TryGetValue(name, out var vm) ? vm : null;

    /// <summary>VMs whose name matches a wildcard pattern (<c>*</c>, <c>?</c>), ordered by name.</summary>
    public IReadOnlyList<VirtualMachine> Find(string pattern)
    {
        var regex = new Regex("^" + Regex.Escape(pattern).Replace(@"\*", ".*").Replace(@"\?", ".") + "$", RegexOptions.IgnoreCase);
        return _vms.Values.Where(vm => regex.IsMatch(vm.Name)).OrderBy(vm => vm.Name, StringComparer.OrdinalIgnoreCase).ToList();
    }

    public IReadOnlyList<VirtualMachine> All => _vms.Values.OrderBy(vm => vm.Name, StringComparer.OrdinalIgnoreCase).ToList();

    /// <summary>Kills every VM (synchronously: used at process exit).</summary>
    public void KillAll()
    {
        foreach (var vm in _vms.Values)
        {
            try { vm.KillAsync().Wait(TimeSpan.FromSeconds(5)); } catch { /* best effort at exit */ }
        }
    }
}
