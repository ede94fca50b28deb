using System.Management.Automation;
using VirtTest.Core.Config;
using VirtTest.Core.Vm;

namespace VirtTest.PowerShell.Cmdlets;

/// <summary>
/// <c>New-VirtVm</c>: creates VMs (not started) from a test's params, ad hoc from a few
/// values, or for the project's test guest, and adds them to the session.
/// </summary>
[Cmdlet(VerbsCommon.New, "VirtVm", DefaultParameterSetName = ParamsSet, SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Low)]
[OutputType(typeof(VirtualMachine))]
public sealed class NewVirtVmCommand : VirtCmdlet
{
    private const string ParamsSet = "Params";
    private const string AdHocSet = "AdHoc";
    private const string TestGuestSet = "TestGuest";

    /// <summary>A test's params (from Expand-VirtConfig); one VM is created per name in its vms param.</summary>
    [Parameter(ParameterSetName = ParamsSet, Mandatory = true, Position = 0, ValueFromPipeline = true)]
    [ValidateNotNull]
    public VirtParams? Params { get; set; }

    /// <summary>With -Params: create only these VMs of the params' vms list.</summary>
    [Parameter(ParameterSetName = ParamsSet)]
    [ValidateNotNullOrEmpty]
    public string[]? VmName { get; set; }

    /// <summary>The VM's name in this session.</summary>
    [Parameter(ParameterSetName = AdHocSet, Mandatory = true, Position = 0)]
    [Parameter(ParameterSetName = TestGuestSet, Position = 0)]
    [ValidateNotNullOrEmpty]
    public string Name { get; set; } = "vm1";

    /// <summary>Memory in MiB (param mem).</summary>
    [Parameter(ParameterSetName = AdHocSet)]
    [Parameter(ParameterSetName = TestGuestSet)]
    [ValidateRange(16, 1048576)]
    public int MemoryMB { get; set; } = Core.Vm.VmDefaults.MemoryMB;

    /// <summary>Number of virtual CPUs (param smp).</summary>
    [Parameter(ParameterSetName = AdHocSet)]
    [Parameter(ParameterSetName = TestGuestSet)]
    [ValidateRange(1, 1024)]
    public int Cpu { get; set; } = Core.Vm.VmDefaults.Cpus;

    /// <summary>Kernel image to boot directly (param kernel).</summary>
    [Parameter(ParameterSetName = AdHocSet)]
    public string? Kernel { get; set; }

    /// <summary>Initial ramdisk (param initrd).</summary>
    [Parameter(ParameterSetName = AdHocSet)]
    public string? Initrd { get; set; }

    /// <summary>Kernel command line (param kernel_params).</summary>
    [Parameter(ParameterSetName = AdHocSet)]
    public string? KernelParams { get; set; }

    /// <summary>Use the test guest built by build.ps1 -Task Guest.</summary>
    [Parameter(ParameterSetName = TestGuestSet, Mandatory = true)]
    public SwitchParameter TestGuest { get; set; }

    /// <summary>With -TestGuest: the serial console asks for a login (user root) instead of giving a shell.</summary>
    [Parameter(ParameterSetName = TestGuestSet)]
    public SwitchParameter LoginPrompt { get; set; }

    /// <summary>Further params (name = value) added to or replacing the generated ones.</summary>
    [Parameter(ParameterSetName = AdHocSet)]
    [Parameter(ParameterSetName = TestGuestSet)]
    public System.Collections.IDictionary? Property { get; set; }

    /// <inheritdoc />
    protected override void ProcessRecord()
    {
        VirtParams testParams;
        IReadOnlyList<string> names;
        switch (ParameterSetName)
        {
            case ParamsSet:
                testParams = Params!;
                names = VmName ?? (IReadOnlyList<string>)VirtualMachine.VmNames(testParams);
                break;
            case TestGuestSet:
                try
                {
                    testParams = Core.Vm.TestGuest.Locate().CreateParams(Name, MemoryMB, Cpu, LoginPrompt.IsPresent);
                }
                catch (FileNotFoundException ex)
                {
                    ThrowTerminatingError(ErrorRecords.FromException(ex, Name));
                    return;
                }
                names = new[] { Name };
                break;
            default:
                testParams = new VirtParams
                {
                    ["name"] = Name,
                    ["shortname"] = Name,
                    ["vms"] = Name,
                    ["main_vm"] = Name,
                    ["mem"] = MemoryMB.ToString(System.Globalization.CultureInfo.InvariantCulture),
                    ["smp"] = Cpu.ToString(System.Globalization.CultureInfo.InvariantCulture),
                };
                if (Kernel is not null) testParams["kernel"] = GetUnresolvedProviderPathFromPSPath(Kernel);
                if (Initrd is not null) testParams["initrd"] = GetUnresolvedProviderPathFromPSPath(Initrd);
                if (KernelParams is not null) testParams["kernel_params"] = KernelParams;
                names = new[] { Name };
                break;
        }
        if (Property is not null)
        {
            foreach (System.Collections.DictionaryEntry entry in Property) testParams[entry.Key.ToString()!] = entry.Value?.ToString() ?? "";
        }

        foreach (var name in names)
        {
            if (!ShouldProcess(name, "Create VM")) continue;
            try
            {
                var inventory = State.RunspaceInventory.Current;
                // A clear error before the backend does any work when the name is taken here.
                if (inventory.GetVm(name) is not null)
                    throw new VmException(name, $"A VM named '{name}' already exists in this session; remove it first (Remove-VirtVm) or choose another name.");
                var vm = VirtualMachine.FromParams(testParams, name);
                inventory.AddVm(vm);
                WriteObject(vm);
            }
            catch (Exception ex) when (ex is Core.VirtTestException or FileNotFoundException or ArgumentException or InvalidOperationException or TimeoutException)
            {
                WriteError(ErrorRecords.FromException(ex, name));
            }
        }
    }
}
