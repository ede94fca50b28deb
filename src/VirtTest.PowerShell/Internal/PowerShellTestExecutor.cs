using System.Collections.ObjectModel;
using System.Management.Automation;
using System.Management.Automation.Runspaces;
using VirtTest.Core.Runner;
using VirtTest.PowerShell.State;

namespace VirtTest.PowerShell.Internal;

/// <summary>
/// Runs test scripts (<c>&lt;type&gt;.ps1</c>) and Pester specs (<c>&lt;type&gt;.Tests.ps1</c>) for
/// one worker of a run, in a runspace of its own with VirtTest imported, reset between tests.
/// A script gets <c>$Params</c>, <c>$Env</c>, <c>$Vm</c>, <c>$Session</c> and <c>$TestDirectory</c>
/// (as variables, and as parameters when it declares them); <c>$ErrorActionPreference</c>
/// is <c>Stop</c>, so any error fails the test. Its streams go to the test's debug log;
/// <c>Enter-VirtTestStep</c> records its steps and <c>Exit-VirtTest</c> ends it with a status.
/// </summary>
internal sealed class PowerShellTestExecutor : ITestExecutor
{
    private static readonly string[] ContextNames = { "Params", "Env", "Vm", "Session", "TestDirectory" };

    private readonly IReadOnlyList<string> _testFolders;
    private readonly string _modulePath;
    private Runspace? _runspace;

    public PowerShellTestExecutor(IReadOnlyList<string> testFolders, string modulePath)
    {
        _testFolders = testFolders;
        _modulePath = modulePath;
    }

    /// <summary>The module manifest this assembly belongs to (out/VirtTest/VirtTest.psd1).</summary>
    public static string OwnModulePath()
    {
        // The cmdlet assembly sits in the module's lib/ folder; the manifest one level up.
        var dir = Path.GetDirectoryName(typeof(PowerShellTestExecutor).Assembly.Location)!;
        foreach (var candidate in new[] { Path.Combine(dir, "..", "VirtTest.psd1"), Path.Combine(dir, "VirtTest.psd1") })
        {
            if (File.Exists(candidate)) return Path.GetFullPath(candidate);
        }
        return Path.Combine(dir, "VirtTest.PowerShell.dll");
    }

    public async Task ExecuteAsync(TestContext context, CancellationToken ct)
    {
        var script = TestScripts.Resolve(_testFolders, context.Params);
        var runspace = PrepareRunspace();
        using var ps = System.Management.Automation.PowerShell.Create();
        ps.Runspace = runspace;
        var values = new Dictionary<string, object?>
        {
            ["Params"] = context.Params,
            ["Env"] = context.Env,
            ["Vm"] = context.Vm,
            ["Session"] = context.Session,
            ["TestDirectory"] = context.Directory,
        };
        foreach (var (name, value) in values) runspace.SessionStateProxy.SetVariable(name, value);
        // Enter-VirtTestStep records into the test's steps through this variable.
        runspace.SessionStateProxy.SetVariable(Cmdlets.EnterVirtTestStepCommand.StepsVariable, context.Steps);
        // The env's VMs and session are the test's: Get-VirtVm and the VM cmdlets find them by name.
        var inventory = RunspaceInventory.For(runspace);
        inventory.LendVms(context.Env.Vms);
        if (context.Session is { } session) inventory.AddSession(session, owned: false);
        runspace.SessionStateProxy.SetVariable("ErrorActionPreference", ActionPreference.Stop);
        runspace.SessionStateProxy.SetVariable("ProgressPreference", ActionPreference.SilentlyContinue);

        if (TestScripts.IsPesterSpec(script))
        {
            context.Log.Write($"running Pester spec {script}");
            ps.AddScript(PesterWrapper).AddParameter("Path", script).AddParameter("Data", new System.Collections.Hashtable(values))
                .AddParameter("ExplicitPester", PesterLocator.Explicit()).AddParameter("CachedPester", PesterLocator.InNuGetCache().ToArray())
                .AddParameter("InstallHint", PesterLocator.InstallHint);
        }
        else
        {
            context.Log.Write($"running {script}");
            ps.AddCommand(script);
            var declared = DeclaredParameters(runspace, script);
            foreach (var name in ContextNames)
            {
                if (declared.Contains(name)) ps.AddParameter(name, values[name]);
            }
        }
        HookStreams(ps, context.Log);
        var output = new PSDataCollection<PSObject>();
        output.DataAdded += (_, e) => context.Log.Write(output[e.Index]?.ToString() ?? "", "OUTPUT");
        using var stop = ct.Register(() => ps.BeginStop(null, null));
        try
        {
            await Task.Factory.FromAsync(ps.BeginInvoke<PSObject, PSObject>(null, output), ps.EndInvoke).ConfigureAwait(false);
        }
        catch (PipelineStoppedException) when (ct.IsCancellationRequested)
        {
            throw new OperationCanceledException(ct);
        }
        catch (RuntimeException ex)
        {
            var error = Unwrap(ex);
            if (error is TestFailedException { Position: { Length: > 0 } position }) context.Log.Write(position, "ERROR");
            throw error;
        }
        finally
        {
            // VMs the script created belong to the test's env from now on: post-processing and the
            // end of the run clean them up like the others.
            foreach (var vm in inventory.ReleaseOwnedVms())
            {
                try
                {
                    // A test stopped at its timeout or interrupted may end while the worker already
                    // moved on: its VMs go now instead of joining an env that is no longer its own.
                    if (ct.IsCancellationRequested) throw new TestErrorException("the test was stopped");
                    context.Env.Adopt(vm);
                    context.Log.Write($"{vm.Name}: created by the test; the env takes it over");
                }
                catch (VirtTest.Core.VirtTestException ex)
                {
                    context.Log.Write(ex.Message + "; killing it", "WARN");
                    await vm.DisposeAsync().ConfigureAwait(false);
                    inventory.RemoveVm(vm);
                }
            }
            if (context.Session is { } lent) inventory.RemoveSession(lent);
        }
        ct.ThrowIfCancellationRequested();
    }

    /// <summary>A script's own exception (skip, VirtTest errors) comes wrapped: the runner classifies the original.</summary>
    private static Exception Unwrap(RuntimeException ex)
    {
        var inner = ex.ErrorRecord?.Exception ?? ex;
        if (inner is RuntimeException { InnerException: { } wrapped } && wrapped is VirtTest.Core.VirtTestException) inner = wrapped;
        if (inner is ActionPreferenceStopException { ErrorRecord.Exception: { } stopped }) inner = stopped;
        if (inner is VirtTest.Core.VirtTestException) return inner;
        var position = ex.ErrorRecord?.InvocationInfo?.PositionMessage;
        var where = ex.ErrorRecord?.InvocationInfo is { ScriptName: { Length: > 0 } file, ScriptLineNumber: var line } ? $" ({Path.GetFileName(file)}:{line})" : "";
        return new TestFailedException(inner.Message + where, position, ex);
    }

    private Runspace PrepareRunspace()
    {
        if (_runspace is { RunspaceStateInfo.State: RunspaceState.Opened })
        {
            _runspace.ResetRunspaceState();
            return _runspace;
        }
        _runspace?.Dispose();
        var state = InitialSessionState.CreateDefault2();
        state.ImportPSModule(new[] { _modulePath });
        _runspace = RunspaceFactory.CreateRunspace(state);
        _runspace.Open();
        return _runspace;
    }

    private static HashSet<string> DeclaredParameters(Runspace runspace, string script)
    {
        using var ps = System.Management.Automation.PowerShell.Create();
        ps.Runspace = runspace;
        var command = ps.AddCommand("Get-Command").AddParameter("Name", script).Invoke<CommandInfo>().FirstOrDefault();
        return command?.Parameters is { } parameters
            ? new HashSet<string>(parameters.Keys, StringComparer.OrdinalIgnoreCase)
            : new HashSet<string>(StringComparer.OrdinalIgnoreCase);
    }

    private static void HookStreams(System.Management.Automation.PowerShell ps, TestLog log)
    {
        ps.Streams.Error.DataAdded += (_, e) => log.Write(ps.Streams.Error[e.Index].ToString(), "ERROR");
        ps.Streams.Warning.DataAdded += (_, e) => log.Write(ps.Streams.Warning[e.Index].Message, "WARN");
        ps.Streams.Verbose.DataAdded += (_, e) => log.Write(ps.Streams.Verbose[e.Index].Message, "VERBOSE");
        ps.Streams.Debug.DataAdded += (_, e) => log.Write(ps.Streams.Debug[e.Index].Message, "DEBUG");
        ps.Streams.Information.DataAdded += (_, e) => log.Write(ps.Streams.Information[e.Index].MessageData?.ToString() ?? "", "INFO");
    }

    // Pester: a loaded one, else VIRTTEST_PESTER_PATH, an installed module, the NuGet cache (PesterLocator).
    private const string PesterWrapper = """
        param([string] $Path, [hashtable] $Data, [string] $ExplicitPester, [string[]] $CachedPester, [string] $InstallHint)
        if (-not (Get-Module Pester | Where-Object Version -ge '5.0')) {
            $installed = Get-Module -ListAvailable -Name Pester | Where-Object Version -ge '5.0' | Sort-Object Version -Descending | Select-Object -First 1
            $manifest = if ($ExplicitPester) { $ExplicitPester } elseif ($installed) { $installed.Path } else { @($CachedPester)[0] }
            if (-not $manifest) {
                throw [VirtTest.Core.Runner.TestErrorException]::new("The test is a Pester spec ($(Split-Path -Leaf $Path)), but Pester 5 or later is not installed: $InstallHint.")
            }
            Import-Module $manifest -MinimumVersion 5.0
        }
        $configuration = New-PesterConfiguration
        $configuration.Run.Container = New-PesterContainer -Path $Path -Data $Data
        $configuration.Run.PassThru = $true
        $configuration.Output.Verbosity = 'Detailed'
        $run = Invoke-Pester -Configuration $configuration
        # Exit-VirtTest -Status Error|Cancel in a spec ends the whole test with that status.
        foreach ($failed in @($run.Failed) + @($run.FailedBlocks)) {
            $exception = @($failed.ErrorRecord)[0].Exception
            if ($exception -is [VirtTest.Core.Runner.TestErrorException] -or $exception -is [VirtTest.Core.Runner.TestCancelledException]) { throw $exception }
        }
        if ($run.Result -eq 'Passed' -and $run.PassedCount -eq 0 -and $run.SkippedCount -gt 0) {
            $first = @($run.Skipped)[0]
            $why = if ($first.ErrorRecord) { $first.ErrorRecord[0].Exception.Message } else { $first.ExpandedPath }
            throw [VirtTest.Core.Runner.TestSkippedException]::new("all $($run.SkippedCount) Pester tests were skipped: $why")
        }
        if ($run.Result -ne 'Passed') {
            $first = @($run.Failed)[0]
            $why = if ($first) { "$($first.ExpandedPath): $($first.ErrorRecord[0].Exception.Message)" } else { $run.Result }
            throw "$($run.FailedCount) of $($run.TotalCount) Pester tests failed; first: $why"
        }
        """;

    public ValueTask DisposeAsync()
    {
        var runspace = _runspace;
        _runspace = null;
        runspace?.Dispose();
        return ValueTask.CompletedTask;
    }
}
