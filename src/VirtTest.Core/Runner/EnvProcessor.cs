using System.Globalization;
using VirtTest.Core.Config;
using VirtTest.Core.Session;
using VirtTest.Core.Vm;

namespace VirtTest.Core.Runner;

/// <summary>
/// The seed's env pre- and post-processing, driven by params (established names):
/// before a test <c>kill_vm_before_test</c>, <c>create_image</c>, <c>start_vm</c> (reusing a
/// running VM whose definition did not change), <c>restart_vm</c>, <c>paused_after_start_vm</c>,
/// <c>required_capabilities</c>; after it <c>kill_vm</c>, <c>kill_vm_gracefully</c>,
/// <c>kill_vm_timeout</c>, <c>kill_unresponsive_vms</c>, <c>check_image</c> (see
/// <see cref="ImageCheckAfterTest"/>), <c>remove_image</c>, and for a failed test a final
/// screendump and the console output of the test's time; host commands <c>pre_command</c>
/// first and <c>post_command</c> last (<see cref="HostCommand"/>). Images are made by
/// <see cref="ImageCreation"/>.
/// </summary>
public sealed class EnvProcessor
{
    private readonly Dictionary<string, long> _consoleOffsets = new(StringComparer.Ordinal);

    /// <summary>The params of VM <paramref name="name"/> as the runner creates it: its object params, the test guest's when <c>test_guest = yes</c>, and the env's folders.</summary>
    public static VirtParams VmParams(VirtParams testParams, string name, TestEnv env)
    {
        var own = testParams.ObjectParams(name);
        VirtParams merged;
        if (own.GetBool("test_guest"))
        {
            var read = new VmParamsReader(name, own);
            merged = TestGuest.Locate().CreateParams(name, read.MemoryMB, read.Cpus, read.Flag("serial_login"));
            foreach (var (key, value) in own) merged[key] = value;
        }
        else
        {
            merged = own.Clone();
        }
        if (merged.Get("images_base_dir") is not { Length: > 0 }) merged["images_base_dir"] = env.ImagesDirectory;
        if (merged.Get("console_log_file") is not { Length: > 0 })
            merged["console_log_file"] = Path.Combine(env.ConsoleDirectory, string.Create(CultureInfo.InvariantCulture, $"worker{env.Worker}-{name}-{env.NextVmSequence()}.log"));
        return merged;
    }

    public async Task PreprocessAsync(TestContext context, CancellationToken ct)
    {
        var p = context.Params;
        var env = context.Env;
        await HostCommand.RunAsync(p, HostCommand.Pre, context.Log, context.Directory, ct).ConfigureAwait(false);
        foreach (var name in VirtualMachine.VmNames(p))
        {
            var vmParams = VmParams(p, name, env);
            var existing = env.GetVm(name);
            if (existing is not null && (vmParams.GetBool("kill_vm_before_test") || existing.State is VmState.Dead or VmState.Stopped))
            {
                context.Log.Write($"{name}: killing the VM left by the previous test ({existing.State})");
                await env.KillVmAsync(name).ConfigureAwait(false);
                existing = null;
            }
            if (!vmParams.GetBool("start_vm"))
            {
                if (existing is null)
                {
                    foreach (var image in await ImageCreation.CreateAsync(vmParams, name, ct).ConfigureAwait(false))
                        context.Log.Write($"{name}: created image {image}");
                }
                continue;
            }
            var definition = VmDefinition.Of(vmParams);
            if (existing is not null && (vmParams.GetBool("restart_vm") || env.DefinitionOf(name) != definition))
            {
                context.Log.Write($"{name}: restarting (" + (vmParams.GetBool("restart_vm") ? "restart_vm = yes" : "its definition changed") + ")");
                await env.KillVmAsync(name).ConfigureAwait(false);
                existing = null;
            }
            if (existing is null)
            {
                foreach (var image in await ImageCreation.CreateAsync(vmParams, name, ct).ConfigureAwait(false))
                    context.Log.Write($"{name}: created image {image}");
                var vm = VirtualMachine.FromParams(vmParams, name);
                env.Register(vm, definition);
                var paused = vmParams.GetBool("paused_after_start_vm");
                context.Log.Write($"{name}: starting ({vm.BackendName}, {vm.MemoryMB} MiB, {vm.Cpu} CPU" + (paused ? ", paused" : "") + ")");
                // The same start as Start-VirtVm -Wait: up to the guest's ready line when the params name one.
                await vm.StartAsync(new VmStartOptions { Paused = paused, Wait = ReadyWait.WhenConfigured }, null, ct).ConfigureAwait(false);
            }
            else
            {
                context.Log.Write($"{name}: reusing the running VM of the previous test");
            }
        }

        foreach (var vm in env.Vms)
        {
            if (vm.ConsoleLogPath is { } log) _consoleOffsets[vm.Name] = File.Exists(log) ? new FileInfo(log).Length : 0;
        }

        CheckRequiredCapabilities(context);

        var main = env.GetVm(p.Get("main_vm") is { Length: > 0 } m ? m : VirtualMachine.VmNames(p)[0]);
        context.Vm = main;
        if (main is { State: VmState.Running } && p.GetBool("test_session", true))
        {
            var options = SessionOptions.FromParams(main.Params);
            context.Log.Write($"{main.Name}: logging in ({options})");
            context.Session = await GuestLogin.WaitForLoginAsync(main, options, ct).ConfigureAwait(false);
        }
    }

    private static void CheckRequiredCapabilities(TestContext context)
    {
        if (context.Params.Get("required_capabilities") is not { Length: > 0 } required) return;
        foreach (var name in required.Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            if (!Enum.TryParse<VmCapability>(name, ignoreCase: true, out var capability) || capability == VmCapability.None)
                throw new VmParamException(context.Params.ShortName, "required_capabilities", name, "not a capability",
                    Enum.GetNames<VmCapability>().Where(n => n != nameof(VmCapability.None)).ToList());
            foreach (var vm in context.Env.Vms)
            {
                if (!vm.Supports(capability))
                    throw new TestSkippedException($"{vm.Name}: backend '{vm.BackendName}' does not support {capability}");
            }
            if (context.Env.Vms.Count == 0)
            {
                foreach (var vmName in VirtualMachine.VmNames(context.Params))
                {
                    var backend = BackendRegistry.ForParams(context.Params.ObjectParams(vmName), vmName);
                    if ((backend.GetCapabilities(context.Params.ObjectParams(vmName)) & capability) != capability)
                        throw new TestSkippedException($"{vmName}: backend '{backend.Name}' does not support {capability}");
                }
            }
        }
    }

    /// <summary>
    /// After the test (whatever its status): evidence for a failed one, then the VMs and images
    /// as the params say. Never throws for one VM's trouble: it is logged and the VM is killed.
    /// Throws, after all the rest is done, when <c>check_image</c> found a damaged image.
    /// </summary>
    public async Task PostprocessAsync(TestContext context, TestStatus status, List<string> logs, List<string> screenshots)
    {
        if (context.Session is { } session)
        {
            try { await session.DisposeAsync().ConfigureAwait(false); } catch (Exception ex) { context.Log.Write("closing the session: " + ex.Message, "WARN"); }
            context.Session = null;
        }
        var p = context.Params;
        var env = context.Env;
        var failed = status is TestStatus.Fail or TestStatus.Error;
        foreach (var vm in env.Vms)
        {
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            var vmParams = VmParams(p, vm.Name, env);
            if (failed)
            {
                if (CopyConsoleOutput(vm, context.Directory) is { } consoleCopy) logs.Add(consoleCopy);
                if (vm.State is VmState.Running or VmState.Paused && vm.Supports(VmCapability.Screendump))
                {
                    var png = Path.Combine(context.Directory, $"{vm.Name}-final.png");
                    try
                    {
                        await vm.SaveScreenshotAsync(png, cts.Token).ConfigureAwait(false);
                        screenshots.Add(png);
                    }
                    catch (Exception ex) when (ex is VirtTestException or OperationCanceledException or IOException)
                    {
                        context.Log.Write($"{vm.Name}: no final screendump: {ex.Message}", "WARN");
                    }
                }
            }
            try
            {
                if (vm.State is VmState.Dead or VmState.Stopped)
                {
                    context.Log.Write($"{vm.Name}: {vm.State}" + (vm.DeathReason is { } why ? $" ({why})" : "") + ", removing it from the env");
                    await env.KillVmAsync(vm.Name).ConfigureAwait(false);
                }
                else if (vmParams.GetBool("kill_vm"))
                {
                    if (vmParams.GetBool("kill_vm_gracefully"))
                    {
                        var timeout = new VmParamsReader(vm.Name, vmParams).StopTimeout;
                        context.Log.Write($"{vm.Name}: shutting down (kill_vm, up to {timeout.TotalSeconds:0.#} s)");
                        await env.StopVmAsync(vm.Name, timeout, CancellationToken.None).ConfigureAwait(false);
                    }
                    else
                    {
                        context.Log.Write($"{vm.Name}: killing (kill_vm)");
                        await env.KillVmAsync(vm.Name).ConfigureAwait(false);
                    }
                }
                else if (vmParams.GetBool("kill_unresponsive_vms") && !await IsResponsiveAsync(vm).ConfigureAwait(false))
                {
                    context.Log.Write($"{vm.Name}: the monitor does not answer, killing (kill_unresponsive_vms)", "WARN");
                    await env.KillVmAsync(vm.Name).ConfigureAwait(false);
                }
            }
            catch (Exception ex) when (ex is VirtTestException or OperationCanceledException or IOException or ArgumentException)
            {
                context.Log.Write($"{vm.Name}: {ex.Message}; killing it", "WARN");
                await env.KillVmAsync(vm.Name).ConfigureAwait(false);
            }
        }
        var checkFailures = new List<string>();
        foreach (var name in VirtualMachine.VmNames(p))
        {
            using var cts = new CancellationTokenSource(ImageCheckTimeout);
            try
            {
                checkFailures.AddRange(await ImageCheckAfterTest.CheckAsync(VmParams(p, name, env), name, env.GetVm(name), context.Log, cts.Token).ConfigureAwait(false));
            }
            catch (OperationCanceledException)
            {
                checkFailures.Add($"{name}: check_image did not end within {ImageCheckTimeout.TotalMinutes:0} minutes");
            }
        }
        foreach (var name in VirtualMachine.VmNames(p))
        {
            if (env.GetVm(name) is not null) continue;
            try { ImageCreation.Remove(VmParams(p, name, env), name); }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or VirtTestException) { context.Log.Write($"{name}: removing images: {ex.Message}", "WARN"); }
        }
        if (checkFailures.Count == 0)
        {
            // Last, whatever happened before: a critical failure here makes a passed test an ERROR.
            await HostCommand.RunAsync(p, HostCommand.Post, context.Log, context.Directory, CancellationToken.None).ConfigureAwait(false);
            return;
        }
        // As the reference: a damaged image makes a passed test ERROR (the runner keeps a FAIL);
        // post_command still runs, and its own failure joins the message.
        var message = "check_image: " + string.Join("; ", checkFailures);
        try
        {
            await HostCommand.RunAsync(p, HostCommand.Post, context.Log, context.Directory, CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is VirtTestException or IOException)
        {
            message += "; post_command: " + ex.Message;
        }
        throw new RunnerException(message);
    }

    private static readonly TimeSpan ImageCheckTimeout = TimeSpan.FromMinutes(10);

    private static async Task<bool> IsResponsiveAsync(VirtualMachine vm)
    {
        try
        {
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            var state = await vm.RefreshStateAsync(cts.Token).ConfigureAwait(false);
            return state is VmState.Running or VmState.Paused;
        }
        catch (Exception)
        {
            return false; // any fault asking it: treated as unresponsive, so the VM is killed
        }
    }

    /// <summary>Copies what the VM printed on its console during this test into the test's folder.</summary>
    private string? CopyConsoleOutput(VirtualMachine vm, string directory)
    {
        if (vm.ConsoleLogPath is not { } log || !File.Exists(log)) return null;
        var target = Path.Combine(directory, $"{vm.Name}-console.log");
        using var source = new FileStream(log, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        source.Seek(Math.Min(_consoleOffsets.GetValueOrDefault(vm.Name), source.Length), SeekOrigin.Begin);
        using var copy = File.Create(target);
        source.CopyTo(copy);
        return target;
    }
}
