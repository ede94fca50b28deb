using System.Collections.Concurrent;
using VirtTest.Core.Config;

namespace VirtTest.Core.Vm;

/// <summary>
/// The backends known to this process, by <c>vm_type</c>. Deliberately process-wide and
/// thread-safe: a backend is a stateless factory (every per-VM state lives in the driver it
/// creates), so all runspaces and test workers share one instance per backend.
/// </summary>
public static class BackendRegistry
{
    /// <summary>The backend used when params have no <c>vm_type</c>.</summary>
    public const string DefaultBackend = "qemu";

    private static readonly ConcurrentDictionary<string, Func<IVmBackend>> Factories = new(StringComparer.OrdinalIgnoreCase)
    {
        ["qemu"] = () => new Backends.Qemu.QemuBackend(),
        ["xen"] = () => new Backends.Xen.XenBackend(),
        ["libvirt"] = () => new Backends.Libvirt.LibvirtBackend(),
    };

    private static readonly ConcurrentDictionary<string, IVmBackend> Instances = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>Adds (or replaces) a backend.</summary>
    public static void Register(string vmType, Func<IVmBackend> factory)
    {
        Factories[vmType] = factory;
        Instances.TryRemove(vmType, out _);
    }

    public static IReadOnlyList<string> Names => Factories.Keys.OrderBy(k => k, StringComparer.Ordinal).ToList();

    /// <summary>The backend for a <c>vm_type</c> value; unknown values fail with the valid choices.</summary>
    public static IVmBackend Get(string vmType, string vmName = "")
    {
        if (!Factories.TryGetValue(vmType, out var factory))
        {
            throw new VmParamException(vmName, "vm_type", vmType, "no such backend", Names);
        }
        return Instances.GetOrAdd(vmType, _ => factory());
    }

    /// <summary>The backend that params select (<c>vm_type</c>, default qemu).</summary>
    public static IVmBackend ForParams(VirtParams vmParams, string vmName = "") =>
        Get(vmParams.Get("vm_type") is { Length: > 0 } t ? t : DefaultBackend, vmName);
}
