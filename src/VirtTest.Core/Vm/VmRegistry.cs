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
        var regex = WildcardToRegex(pattern);
        return _vms.Values.Where(vm => regex.IsMatch(vm.Name)).OrderBy(vm => vm.Name, StringComparer.OrdinalIgnoreCase).ToList();
    }

    /// <summary>
    /// PowerShell's wildcard language as a regex: <c>*</c>, <c>?</c>, <c>[abc]</c> and
    /// <c>[a-c]</c> character sets, and the backtick escaping the next character.
    /// </summary>
    public static Regex WildcardToRegex(string pattern)
    {
        var sb = new System.Text.StringBuilder("^");
        for (var i = 0; i < pattern.Length; i++)
        {
            var c = pattern[i];
            switch (c)
            {
                case '`' when i + 1 < pattern.Length:
                    sb.Append(Regex.Escape(pattern[++i].ToString()));
                    break;
                case '*':
                    sb.Append(".*");
                    break;
                case '?':
                    sb.Append('.');
                    break;
                case '[':
                    var close = pattern.IndexOf(']', i + 1);
                    if (close < 0) { sb.Append(@"\["); break; }
                    var set = pattern.Substring(i + 1, close - i - 1).Replace(@"\", @"\\").Replace("^", @"\^");
                    sb.Append('[').Append(set).Append(']');
                    i = close;
                    break;
                default:
                    sb.Append(Regex.Escape(c.ToString()));
                    break;
            }
        }
        return new Regex(sb.Append('$').ToString(), RegexOptions.IgnoreCase | RegexOptions.CultureInvariant);
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
