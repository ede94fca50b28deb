using System.Management.Automation;
using VirtTest.Core.Session;
using VirtTest.Core.Transfer;
using VirtTest.Core.Vm;

namespace VirtTest.PowerShell.Cmdlets;

/// <summary>
/// <c>Copy-VirtGuestItem</c>: copies files or folders between the host and a guest, with
/// progress and a check of every copy: over an SSH session (SFTP), over the Windows guest
/// agent's file transfer (RSS) for a remote shell session, for a VM by its params
/// (<c>file_transfer_client</c>), or to any host running the agent (<c>-Address</c>).
/// </summary>
[Cmdlet(VerbsCommon.Copy, "VirtGuestItem", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium, DefaultParameterSetName = ToGuestSet)]
[OutputType(typeof(TransferResult))]
public sealed class CopyVirtGuestItemCommand : VirtCmdlet
{
    private const string ToGuestSet = "ToGuest";
    private const string FromGuestSet = "FromGuest";
    private const string VmToGuestSet = "VmToGuest";
    private const string VmFromGuestSet = "VmFromGuest";
    private const string AddressToGuestSet = "AddressToGuest";
    private const string AddressFromGuestSet = "AddressFromGuest";

    /// <summary>An SSH or remote shell (Rss) session.</summary>
    [Parameter(ParameterSetName = ToGuestSet, Mandatory = true, Position = 0)]
    [Parameter(ParameterSetName = FromGuestSet, Mandatory = true, Position = 0)]
    [ValidateNotNull]
    public GuestSession? Session { get; set; }

    /// <summary>A running VM: its params choose SFTP or RSS.</summary>
    [Parameter(ParameterSetName = VmToGuestSet, Mandatory = true)]
    [Parameter(ParameterSetName = VmFromGuestSet, Mandatory = true)]
    [ValidateNotNull]
    public VirtualMachine? Vm { get; set; }

    /// <summary>A host running the agent (no VM needed).</summary>
    [Parameter(ParameterSetName = AddressToGuestSet, Mandatory = true)]
    [Parameter(ParameterSetName = AddressFromGuestSet, Mandatory = true)]
    [ValidateNotNullOrEmpty]
    public string Address { get; set; } = "";

    /// <summary>The agent's file-transfer port at -Address (default 10023).</summary>
    [Parameter(ParameterSetName = AddressToGuestSet)]
    [Parameter(ParameterSetName = AddressFromGuestSet)]
    [ValidateRange(1, 65535)]
    public int Port { get; set; } = RssProtocol.DefaultPort;

    /// <summary>The protocol at -Address (default Rss; SFTP needs an SSH session).</summary>
    [Parameter(ParameterSetName = AddressToGuestSet)]
    [Parameter(ParameterSetName = AddressFromGuestSet)]
    public FileTransferProtocol Protocol { get; set; } = FileTransferProtocol.Rss;

    /// <summary>What to copy: a host path with -ToGuest, a guest path with -FromGuest.</summary>
    [Parameter(Mandatory = true, Position = 1, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [Alias("FullName")]
    [ValidateNotNullOrEmpty]
    public string Path { get; set; } = "";

    /// <summary>Where to put it: a guest path with -ToGuest, a host path with -FromGuest.</summary>
    [Parameter(Mandatory = true, Position = 2)]
    [ValidateNotNullOrEmpty]
    public string Destination { get; set; } = "";

    /// <summary>Copy from the host to the guest.</summary>
    [Parameter(ParameterSetName = ToGuestSet, Mandatory = true)]
    [Parameter(ParameterSetName = VmToGuestSet, Mandatory = true)]
    [Parameter(ParameterSetName = AddressToGuestSet, Mandatory = true)]
    public SwitchParameter ToGuest { get; set; }

    /// <summary>Copy from the guest to the host.</summary>
    [Parameter(ParameterSetName = FromGuestSet, Mandatory = true)]
    [Parameter(ParameterSetName = VmFromGuestSet, Mandatory = true)]
    [Parameter(ParameterSetName = AddressFromGuestSet, Mandatory = true)]
    public SwitchParameter FromGuest { get; set; }

    /// <summary>The path is a folder: copy it with everything in it.</summary>
    [Parameter]
    public SwitchParameter Recurse { get; set; }

    /// <summary>Skip the check of the copies.</summary>
    [Parameter]
    public SwitchParameter NoVerify { get; set; }

    /// <summary>RSS: bytes per data packet (512 to 1048576; default 65536).</summary>
    [Parameter]
    [ValidateRange(RssProtocol.MinChunkSize, RssProtocol.MaxChunkSize)]
    public int ChunkSize { get; set; } = RssProtocol.DefaultChunkSize;

    /// <summary>RSS: deadline of the whole copy, checks included (default 1800 s).</summary>
    [Parameter]
    [ValidateRange(1, 604800)]
    public double TimeoutSec { get; set; } = 1800;

    /// <inheritdoc />
    protected override void ProcessRecord()
    {
        if (Session is { } session && session is not (SshSession or RemoteShellSession))
        {
            ThrowTerminatingError(new ErrorRecord(
                new NotSupportedException($"Copy-VirtGuestItem needs an SSH session or a remote shell (Rss) session; {session.Name} is a {session.Transport} session. Open one with Connect-VirtSession -Transport Ssh (or Rss), or copy with -Vm."),
                "VirtTest.TransferNeedsSsh", ErrorCategory.InvalidArgument, session));
            return;
        }
        var upload = ToGuest.IsPresent;
        var source = upload ? GetUnresolvedProviderPathFromPSPath(Path) : Path;
        var destination = upload ? Destination : GetUnresolvedProviderPathFromPSPath(Destination);
        object target = (object?)Session ?? (object?)Vm ?? $"{Address}:{Port}";
        var where = Session?.Name ?? Vm?.Name ?? $"{Protocol} {Address}:{Port}";
        var action = upload ? $"Copy {source} to the guest as {destination}" : $"Copy {source} from the guest to {destination}";
        if (!ShouldProcess(where, action)) return;

        var request = new GuestCopyRequest(upload ? TransferDirection.Upload : TransferDirection.Download, source, destination)
        {
            Recurse = Recurse.IsPresent,
            Verify = !NoVerify.IsPresent,
            ChunkSize = ChunkSize,
            Timeout = TimeSpan.FromSeconds(TimeoutSec),
        };
        var record = new ProgressRecord(4, upload ? "Copying to the guest" : "Copying from the guest", source);
        TransferResult? result = null;
        var copied = TryAwaitWithProgress<TransferProgress>(target, record, async (progress, ct) =>
            {
                result = Session is not null ? await GuestFileCopy.CopyAsync(Session, request, progress, ct).ConfigureAwait(false)
                    : Vm is not null ? await GuestFileCopy.CopyAsync(Vm, request, progress, ct).ConfigureAwait(false)
                    : await GuestFileCopy.CopyAsync(Address, Port, Protocol, request, progress, ct).ConfigureAwait(false);
            },
            (r, p) =>
            {
                r.StatusDescription = p.TotalsKnown ? p.CurrentFile : $"{p.CurrentFile} ({p.BytesDone:N0} bytes, {p.FilesDone} files so far)";
                r.PercentComplete = p.TotalsKnown ? (int)Math.Clamp(p.Percent, 0, 100) : -1;
            });
        if (copied) WriteObject(result);
    }
}
