using System.Management.Automation;
using VirtTest.Core.Session;
using VirtTest.Core.Vm;
using VirtTest.PowerShell.State;

namespace VirtTest.PowerShell.Cmdlets;

/// <summary><c>Get-VirtSession</c>: the open guest sessions of this PowerShell session (runspace).</summary>
[Cmdlet(VerbsCommon.Get, "VirtSession", DefaultParameterSetName = NameSet)]
[OutputType(typeof(GuestSession))]
public sealed class GetVirtSessionCommand : VirtCmdlet
{
    private const string NameSet = "Name";
    private const string VmSet = "Vm";

    /// <summary>Session names (wildcards allowed); all sessions when omitted.</summary>
    [Parameter(ParameterSetName = NameSet, Position = 0)]
    [SupportsWildcards]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(Completion.SessionNameCompleter))]
    public string[] Name { get; set; } = { "*" };

    /// <summary>Only the sessions to these VMs.</summary>
    [Parameter(ParameterSetName = VmSet, Mandatory = true, Position = 0, ValueFromPipeline = true)]
    [ValidateNotNull]
    [Internal.VmByName]
    [ArgumentCompleter(typeof(Completion.VmNameCompleter))]
    public VirtualMachine[] Vm { get; set; } = Array.Empty<VirtualMachine>();

    /// <inheritdoc />
    protected override void ProcessRecord()
    {
        var sessions = RunspaceInventory.Current.Sessions;
        if (ParameterSetName == VmSet)
        {
            foreach (var vm in Vm)
            {
                foreach (var s in sessions.Where(s => string.Equals(s.VmName, vm.Name, StringComparison.OrdinalIgnoreCase))) WriteObject(s);
            }
            return;
        }
        foreach (var pattern in Name)
        {
            var wildcard = new WildcardPattern(pattern, WildcardOptions.IgnoreCase | WildcardOptions.CultureInvariant);
            var found = sessions.Where(s => wildcard.IsMatch(s.Name)).ToList();
            if (found.Count == 0 && !WildcardPattern.ContainsWildcardCharacters(pattern))
            {
                WriteError(new ErrorRecord(new ItemNotFoundException($"No open session named '{pattern}' in this session (Get-VirtSession lists them)."),
                    "VirtTest.SessionNotFound", ErrorCategory.ObjectNotFound, pattern));
            }
            foreach (var s in found) WriteObject(s);
        }
    }
}
