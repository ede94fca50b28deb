using System.Management.Automation;
using VirtTest.Core.Vm;

namespace VirtTest.PowerShell.Cmdlets;

/// <summary><c>Save-VirtScreenshot</c>: writes a VM's display to a PNG file.</summary>
[Cmdlet(VerbsData.Save, "VirtScreenshot", DefaultParameterSetName = VmSet, SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Low)]
[OutputType(typeof(FileInfo))]
public sealed class SaveVirtScreenshotCommand : VmCmdlet
{
    /// <summary>The PNG file to write; with several VMs, a folder (one VM-name.png each).</summary>
    [Parameter(Mandatory = true, Position = 1)]
    [ValidateNotNullOrEmpty]
    public string Path { get; set; } = "";

    /// <inheritdoc />
    protected override void ProcessVm(VirtualMachine vm)
    {
        var target = GetUnresolvedProviderPathFromPSPath(Path);
        if (Directory.Exists(target)) target = System.IO.Path.Combine(target, vm.Name + ".png");
        if (!ShouldProcess(target, $"Save screenshot of VM {vm.Name}")) return;
        if (TryAwait(vm, ct => vm.SaveScreenshotAsync(target, ct))) WriteObject(new FileInfo(target));
    }
}
