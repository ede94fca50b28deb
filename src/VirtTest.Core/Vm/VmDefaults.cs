namespace VirtTest.Core.Vm;

/// <summary>
/// The one place for what a VM gets when its params leave a value out. Every backend, the
/// runner's placement and the cmdlets read these through <see cref="VmParamsReader"/>.
/// </summary>
public static class VmDefaults
{
    /// <summary>Memory (MiB) when <c>mem</c> is not set.</summary>
    public const int MemoryMB = 512;

    /// <summary>Virtual CPUs when <c>smp</c> is not set.</summary>
    public const int Cpus = 1;

    /// <summary>
    /// How long a guest may take to become ready or accept a login when <c>login_timeout</c> is
    /// not set: a distribution booting under TCG on a loaded host takes minutes, not seconds.
    /// </summary>
    public static readonly TimeSpan LoginTimeout = TimeSpan.FromSeconds(240);

    /// <summary>How long a graceful stop waits for the guest when <c>kill_vm_timeout</c> is not set.</summary>
    public static readonly TimeSpan StopTimeout = TimeSpan.FromSeconds(60);

    /// <summary>The image format when <c>image_format</c> is not set.</summary>
    public const string ImageFormat = "qcow2";

    /// <summary>The machine type when <c>machine_type</c> is not set.</summary>
    public const string MachineType = "pc";
}
