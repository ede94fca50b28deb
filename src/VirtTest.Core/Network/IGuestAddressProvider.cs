namespace VirtTest.Core.Network;

/// <summary>
/// A VM driver whose hypervisor reports its guest's addresses itself (libvirt's
/// interface-address API). The address resolver asks it through
/// <see cref="Vm.VirtualMachine.Feature{T}"/>, so no backend type is named outside the backend.
/// </summary>
public interface IGuestAddressProvider
{
    /// <summary>The sources the hypervisor can ask, best first (those tried when no source is named).</summary>
    IReadOnlyList<AddressSource> AddressSources { get; }

    /// <summary>
    /// The guest's interfaces with their MACs and addresses, as <paramref name="source"/> knows
    /// them (names are the hypervisor's, e.g. the tap; MACs identify the NICs). A source the
    /// hypervisor cannot ask now (no guest agent) is a <see cref="NetworkException"/>.
    /// </summary>
    Task<IReadOnlyList<GuestInterface>> QueryInterfacesAsync(AddressSource source, CancellationToken ct = default);
}
