using System.Management.Automation;
using VirtTest.Core.Session;
using VirtTest.Core.Vm;
using VirtTest.PowerShell.Internal;

namespace VirtTest.PowerShell;

/// <summary>
/// Base of the cmdlets that log in to a guest (Connect-VirtSession, Wait-VirtLogin): the same
/// parameters and the same login; they differ in how long they keep trying by default.
/// </summary>
public abstract class SessionLoginCmdlet : VirtCmdlet
{
    /// <summary>The VM whose guest to connect to.</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true)]
    [ValidateNotNull]
    [Internal.VmByName]
    [ArgumentCompleter(typeof(Completion.VmNameCompleter))]
    public VirtualMachine? Vm { get; set; }

    /// <summary>Serial console or SSH (default: the params' shell_client, else Serial).</summary>
    [Parameter]
    public SessionTransport? Transport { get; set; }

    /// <summary>User name and password; default: the params' username and password.</summary>
    [Parameter]
    [Credential]
    public PSCredential? Credential { get; set; }

    /// <summary>How long to keep trying.</summary>
    [Parameter]
    [ValidateRange(1, 86400)]
    public double TimeoutSec { get; set; }

    /// <summary>The deadline when -TimeoutSec is not given (null: the params' login_timeout).</summary>
    protected abstract double? DefaultTimeoutSec { get; }

    /// <inheritdoc />
    protected override void ProcessRecord()
    {
        var vm = Vm!;
        var options = SessionCmdlets.Options(vm, Transport, Credential, TimeoutSec > 0 ? TimeoutSec : DefaultTimeoutSec ?? 0);
        var progress = new ProgressRecord(3, $"Logging in to VM {vm.Name}", $"{options} (up to {options.Timeout.TotalSeconds:0} s)");
        WriteProgress(progress);
        GuestSession? session = null;
        try
        {
            if (TryAwait(vm, async ct => session = await GuestLogin.WaitForLoginAsync(vm, options, ct).ConfigureAwait(false)))
            {
                State.RunspaceInventory.Current.AddSession(session!);
                WriteObject(session);
            }
        }
        finally
        {
            progress.RecordType = ProgressRecordType.Completed;
            WriteProgress(progress);
        }
    }
}
