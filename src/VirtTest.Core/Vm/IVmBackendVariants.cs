using VirtTest.Core.Config;

namespace VirtTest.Core.Vm;

/// <summary>
/// Optional for a backend whose capabilities differ by params in a way worth showing side by
/// side (Xen: PV and HVM guests): the params that stand for each variant. The capability
/// table shows one column per variant; backends without it get one column.
/// </summary>
public interface IVmBackendVariants
{
    IReadOnlyList<(string Label, VirtParams Params)> RepresentativeParams { get; }
}
