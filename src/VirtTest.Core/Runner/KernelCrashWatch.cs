using VirtTest.Core.Vm;

namespace VirtTest.Core.Runner;

/// <summary>
/// Watches the console logs of a test's VMs while it runs (param <c>check_kernel_crash</c>,
/// default yes): a guest kernel crash report ends the test at once (its token is cancelled)
/// and the runner records it as FAIL with the report as its reason. A VM the env already had
/// is read from where its log stood when the test began; one started by the test from its start,
/// also when it replaces a VM of the same name (a new VM writes a new log).
/// </summary>
public sealed class KernelCrashWatch : IAsyncDisposable
{
    private static readonly TimeSpan Interval = TimeSpan.FromSeconds(1);
    private readonly TestEnv _env;
    private readonly CancellationTokenSource _testCts;
    private readonly CancellationTokenSource _stop = new();
    // By VM object, not name: a VM the test's set-up restarts under the same name is a new object with a new log.
    private readonly Dictionary<VirtualMachine, long> _from = new(ReferenceEqualityComparer.Instance);
    private readonly Task _loop;
    private readonly object _gate = new();
    private KernelCrashException? _crash;

    private KernelCrashWatch(TestEnv env, CancellationTokenSource testCts)
    {
        _env = env;
        _testCts = testCts;
        foreach (var vm in env.Vms) _from[vm] = vm.ConsoleLogLength;
        _loop = Task.Run(LoopAsync);
    }

    /// <summary>Starts watching unless the params say <c>check_kernel_crash = no</c> (then null).</summary>
    public static KernelCrashWatch? Start(Config.VirtParams p, TestEnv env, CancellationTokenSource testCts) =>
        p.GetBool("check_kernel_crash", true) ? new KernelCrashWatch(env, testCts) : null;

    /// <summary>The crash found, if any.</summary>
    public KernelCrashException? Crash
    {
        get { lock (_gate) return _crash; }
    }

    private async Task LoopAsync()
    {
        try
        {
            while (!_stop.IsCancellationRequested)
            {
                await Task.Delay(Interval, _stop.Token).ConfigureAwait(false);
                if (Scan() is not null)
                {
                    try { _testCts.Cancel(); } catch (ObjectDisposedException) { }
                    return;
                }
            }
        }
        catch (OperationCanceledException) { }
    }

    /// <summary>Looks at every VM's log once more (the end of the test); returns the crash, if any.</summary>
    public KernelCrashException? Scan()
    {
        lock (_gate)
        {
            if (_crash is not null) return _crash;
            foreach (var vm in _env.Vms)
            {
                if (vm.ConsoleLogPath is not { } log) continue;
                if (!_from.TryGetValue(vm, out var from)) _from[vm] = from = 0;
                string? trace;
                try { trace = KernelCrash.FindInLog(log, from); }
                catch (Exception ex) when (ex is IOException or UnauthorizedAccessException) { continue; }
                if (trace is null) continue;
                return _crash = new KernelCrashException(vm.Name, trace);
            }
            return null;
        }
    }

    public async ValueTask DisposeAsync()
    {
        _stop.Cancel();
        try { await _loop.ConfigureAwait(false); } catch (OperationCanceledException) { }
        _stop.Dispose();
    }
}
