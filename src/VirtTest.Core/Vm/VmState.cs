namespace VirtTest.Core.Vm;

/// <summary>The life-cycle state of a VM as the framework sees it.</summary>
public enum VmState
{
    /// <summary>Defined from params, never started (or stopped and ready to start again).</summary>
    Created,
    /// <summary>The hypervisor process is starting.</summary>
    Starting,
    Running,
    Paused,
    /// <summary>Stopped by the framework; its resources are released.</summary>
    Stopped,
    /// <summary>The hypervisor process ended without the framework asking (crash, kill, guest shutdown).</summary>
    Dead,
}
