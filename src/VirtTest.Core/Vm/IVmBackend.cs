using VirtTest.Core.Config;

namespace VirtTest.Core.Vm;

/// <summary>
/// One hypervisor backend (QEMU, libvirt, Xen, ...): turns a VM's params into a driver and
/// says what its VMs can do. Registered in <see cref="BackendRegistry"/> under the
/// <c>vm_type</c> value that selects it.
/// </summary>
public interface IVmBackend
{
    /// <summary>The <c>vm_type</c> value, e.g. <c>qemu</c>.</summary>
    string Name { get; }

    /// <summary>Everything any VM of this backend can do.</summary>
    VmCapability Capabilities { get; }

    /// <summary>What a VM with these params would be able to do (no VM is created).</summary>
    VmCapability GetCapabilities(VirtParams vmParams);

    /// <summary>The device models a VM with these params can hot-plug (<c>Add-VirtPciDevice -Model</c>), for completion and messages.</summary>
    IReadOnlyList<string> GetDeviceModels(VirtParams vmParams);

    /// <summary>
    /// Validates the params (throwing <see cref="VmParamException"/> for a value the backend
    /// cannot use) and returns a driver for a VM that is not started yet.
    /// </summary>
    IVmDriver CreateDriver(string vmName, VirtParams vmParams);
}
