using VirtTest.Core.Config;
using VirtTest.Core.Vm;

namespace VirtTest.Core.Runner;

/// <summary>
/// The live objects carried from one test to the next (the seed's <c>env</c>): VMs by name,
/// with the definition they were started from, and anything a test wants to leave for a later
/// one. Each worker of a run has its own env, so parallel tests never share a VM.
/// </summary>
public sealed class TestEnv : IAsyncDisposable
{
    private readonly Dictionary<string, (VirtualMachine Vm, string Definition)> _vms = new(StringComparer.Ordinal);
    // The test's body changes the VMs while watchers of the test (crash watch, screendumps) read
    // them from other threads.
    private readonly object _gate = new();

    public TestEnv(int worker, string imagesDirectory, string consoleDirectory)
    {
        Worker = worker;
        ImagesDirectory = imagesDirectory;
        ConsoleDirectory = consoleDirectory;
    }

    /// <summary>Where the console logs of this env's VMs are written (they outlive the VMs, for post-mortems).</summary>
    public string ConsoleDirectory { get; }

    private int _vmSequence;
    internal int NextVmSequence() => ++_vmSequence;

    /// <summary>The worker owning this env (1-based).</summary>
    public int Worker { get; }

    /// <summary>Where this env's images go when the params do not say (<c>images_base_dir</c>).</summary>
    public string ImagesDirectory { get; }

    /// <summary>Other objects tests keep between them, by name.</summary>
    public IDictionary<string, object?> Data { get; } = new Dictionary<string, object?>(StringComparer.Ordinal);

    /// <summary>The VMs now (a copy: safe to read while the test changes them).</summary>
    public IReadOnlyList<VirtualMachine> Vms
    {
        get { lock (_gate) return _vms.Values.Select(v => v.Vm).ToList(); }
    }

    public VirtualMachine? GetVm(string name)
    {
        lock (_gate) return _vms.TryGetValue(name, out var v) ? v.Vm : null;
    }

    internal string? DefinitionOf(string name)
    {
        lock (_gate) return _vms.TryGetValue(name, out var v) ? v.Definition : null;
    }

    internal void Register(VirtualMachine vm, string definition)
    {
        lock (_gate) _vms[vm.Name] = (vm, definition);
    }

    /// <summary>
    /// Takes over a VM a test created itself (e.g. <c>New-VirtVm</c> in a test script): from now on
    /// post-processing treats it like the VMs the params started, and the env kills it at the end.
    /// A VM of the same name already in the env is refused.
    /// </summary>
    public void Adopt(VirtualMachine vm)
    {
        ArgumentNullException.ThrowIfNull(vm);
        lock (_gate)
        {
            if (_vms.TryGetValue(vm.Name, out var existing))
            {
                if (ReferenceEquals(existing.Vm, vm)) return;
                throw new VmException(vm.Name, $"The test created a VM named '{vm.Name}', but the env already has one of that name.");
            }
            _vms[vm.Name] = (vm, VmDefinition.Of(vm.Params));
        }
    }

    /// <summary>Kills the VM and forgets it.</summary>
    public async Task KillVmAsync(string name)
    {
        if (Forget(name) is not { } entry) return;
        await entry.Vm.DisposeAsync().ConfigureAwait(false);
    }

    /// <summary>Stops the VM (graceful with a deadline, then by force) and forgets it.</summary>
    public async Task StopVmAsync(string name, TimeSpan gracefulTimeout, CancellationToken ct)
    {
        if (Forget(name) is not { } entry) return;
        try
        {
            await entry.Vm.StopAsync(gracefulTimeout, ct).ConfigureAwait(false);
        }
        finally
        {
            await entry.Vm.DisposeAsync().ConfigureAwait(false);
        }
    }

    private (VirtualMachine Vm, string Definition)? Forget(string name)
    {
        lock (_gate) return _vms.Remove(name, out var entry) ? entry : null;
    }

    /// <summary>Memory (MiB) and CPUs held by the VMs of this env.</summary>
    public (int MemoryMB, int Cpus) Footprint()
    {
        var vms = Vms;
        return (vms.Sum(v => v.MemoryMB), vms.Sum(v => v.Cpu));
    }

    /// <summary>Kills every VM (end of run, timeout, interrupt).</summary>
    public async Task KillAllAsync()
    {
        foreach (var vm in Vms) await KillVmAsync(vm.Name).ConfigureAwait(false);
    }

    public ValueTask DisposeAsync() => new(KillAllAsync());

    /// <summary>
    /// What a test's VMs need (all of <c>vms</c> that start), for placing it on the host. A value
    /// the VM cannot use counts as the default here: creating the VM reports it, naming the param.
    /// </summary>
    public static (int MemoryMB, int Cpus) Requirement(VirtParams testParams)
    {
        int memory = 0, cpus = 0;
        foreach (var name in VirtualMachine.VmNames(testParams))
        {
            var p = testParams.ObjectParams(name);
            if (!VmParamsReader.IsYes(p.Get("start_vm"))) continue;
            var read = new VmParamsReader(name, p);
            memory += Lenient(() => read.MemoryMB, VmDefaults.MemoryMB);
            cpus += Lenient(() => read.Cpus, VmDefaults.Cpus);
        }
        return (memory, cpus);
    }

    private static int Lenient(Func<int> read, int fallback)
    {
        try { return read(); }
        catch (VmParamException) { return fallback; }
    }
}
