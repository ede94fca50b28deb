using System.Management.Automation;
using VirtTest.Core.Monitor;
using VirtTest.Core.Vm;

namespace VirtTest.PowerShell.Cmdlets;

/// <summary><c>Add-VirtPciDevice</c>: hot-plugs a PCI device and returns it once the VM lists it.</summary>
[Cmdlet(VerbsCommon.Add, "VirtPciDevice", DefaultParameterSetName = VmSet, SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
[OutputType(typeof(PciDevice))]
public sealed class AddVirtPciDeviceCommand : VmCmdlet
{
    /// <summary>The device model, e.g. e1000 or virtio-net-pci.</summary>
    [Parameter(Mandatory = true, Position = 1)]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(Completion.DeviceModelCompleter))]
    public string Model { get; set; } = "";

    /// <summary>The device's id (generated when omitted); Remove-VirtPciDevice takes it.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? Id { get; set; }

    /// <summary>Further device properties, e.g. @{ mac = '52:54:00:12:34:99' }.</summary>
    [Parameter]
    public System.Collections.IDictionary? Property { get; set; }

    /// <summary>How long to wait for the device to appear.</summary>
    [Parameter]
    [ValidateRange(1, 3600)]
    public double TimeoutSec { get; set; } = 30;

    /// <inheritdoc />
    protected override void ProcessVm(VirtualMachine vm)
    {
        if (!ShouldProcess(vm.Name, $"Add PCI device {Model}" + (Id is null ? "" : $" (id {Id})"))) return;
        var properties = new Dictionary<string, string>(StringComparer.Ordinal);
        if (Property is not null)
        {
            foreach (System.Collections.DictionaryEntry e in Property) properties[e.Key.ToString()!] = e.Value?.ToString() ?? "";
        }
        PciDevice? added = null;
        if (TryAwait(vm, async ct => added = await vm.AddPciDeviceAsync(new PciDeviceSpec(Model, Id, properties), Seconds(TimeoutSec), ct).ConfigureAwait(false)))
        {
            WriteObject(added);
        }
    }
}
