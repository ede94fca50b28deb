namespace VirtTest.Core.Monitor;

/// <summary>What to hot-plug: a device model, an optional id and extra properties.</summary>
public sealed class PciDeviceSpec
{
    public PciDeviceSpec(string model, string? id = null, IReadOnlyDictionary<string, string>? properties = null)
    {
        if (string.IsNullOrWhiteSpace(model)) throw new ArgumentException("A device model is required.", nameof(model));
        Model = model;
        Id = string.IsNullOrEmpty(id) ? null : id;
        Properties = properties ?? new Dictionary<string, string>();
    }

    /// <summary>The model that attaches a host PCI device (property <c>host</c>) instead of an emulated one.</summary>
    public const string PassthroughModel = "passthrough";

    /// <summary>A host device to pass through (needs <see cref="Vm.VmCapability.PciPassthrough"/>), not an emulated one.</summary>
    public bool IsPassthrough => Model is PassthroughModel or "xen-pci-passthrough";

    /// <summary>The device model (QEMU driver name such as <c>e1000</c> or <c>virtio-net-pci</c>).</summary>
    public string Model { get; }
    /// <summary>The id to give the device; generated when null.</summary>
    public string? Id { get; }
    /// <summary>Further device properties (e.g. <c>mac</c>, <c>bus</c>, <c>addr</c>).</summary>
    public IReadOnlyDictionary<string, string> Properties { get; }
}
