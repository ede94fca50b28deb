using System.Management.Automation;
using VirtTest.Core.Session;
using VirtTest.Core.Vm;
using VirtTest.PowerShell.Internal;

namespace VirtTest.PowerShell;

/// <summary>
/// Base of the cmdlets that log in to a guest (Connect-VirtSession, Wait-VirtLogin): the same
/// parameters and the same login; they differ in how long they keep trying by default. A VM's
/// guest (its params say how), or an address: SSH or the remote shell agent of Windows guests.
/// </summary>
public abstract class SessionLoginCmdlet : VirtCmdlet
{
    /// <summary>Parameter set of a VM's guest.</summary>
    protected const string VmSet = "Vm";
    /// <summary>Parameter set of a host by address.</summary>
    protected const string AddressSet = "Address";

    /// <summary>The VM whose guest to connect to.</summary>
    [Parameter(ParameterSetName = VmSet, Mandatory = true, Position = 0, ValueFromPipeline = true)]
    [ValidateNotNull]
    [Internal.VmByName]
    [ArgumentCompleter(typeof(Completion.VmNameCompleter))]
    public VirtualMachine? Vm { get; set; }

    /// <summary>A host name or address to connect to, without a VM.</summary>
    [Parameter(ParameterSetName = AddressSet, Mandatory = true)]
    [ValidateNotNullOrEmpty]
    public string Address { get; set; } = "";

    /// <summary>The TCP port at -Address (default: 22 for Ssh, 10022 for Rss).</summary>
    [Parameter(ParameterSetName = AddressSet)]
    [ValidateRange(1, 65535)]
    public int Port { get; set; }

    /// <summary>Serial console, SSH or the remote shell agent (default: the params' shell_client, else Serial).</summary>
    [Parameter(ParameterSetName = VmSet)]
    [Parameter(ParameterSetName = AddressSet, Mandatory = true)]
    public SessionTransport? Transport { get; set; }

    /// <summary>The shell's kind: posix or cmd (default: the params' shell_dialect or os_type; at an address cmd for Rss, posix for Ssh).</summary>
    [Parameter]
    [ValidateSet("posix", "cmd")]
    public string? ShellDialect { get; set; }

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
        var timeout = TimeoutSec > 0 ? TimeoutSec : DefaultTimeoutSec ?? 0;
        var dialect = VirtTest.Core.Session.ShellDialect.FromName(ShellDialect);
        var vm = Vm;
        var options = vm is null
            ? SessionCmdlets.AddressOptions(Transport!.Value, Credential, timeout > 0 ? timeout : 60, dialect)
            : SessionCmdlets.Options(vm, Transport, Credential, timeout, dialect);
        var port = Port > 0 ? Port : options.Transport == SessionTransport.Rss ? RemoteShellOptions.DefaultPort : 22;
        var target = vm?.Name ?? $"{Address}:{port}";
        var progress = new ProgressRecord(3, $"Logging in to {(vm is null ? "" : "VM ")}{target}", $"{options} (up to {options.Timeout.TotalSeconds:0} s)");
        WriteProgress(progress);
        GuestSession? session = null;
        try
        {
            var ok = TryAwait((object?)vm ?? target, async ct => session = vm is null
                ? await GuestLogin.WaitForLoginAsync(Address, port, options, ct).ConfigureAwait(false)
                : await GuestLogin.WaitForLoginAsync(vm, options, ct).ConfigureAwait(false));
            if (ok)
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
