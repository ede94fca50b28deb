using System.Globalization;

namespace VirtTest.Core.Backends.Xen;

/// <summary>An <c>xl</c> command failed (non-zero exit, or no answer in time); carries the command, the host and what xl printed on stderr.</summary>
public class XenToolstackException : VirtTestException
{
    /// <inheritdoc />
    public override string ErrorId => "XenToolstack";

    /// <inheritdoc />
    public override VirtErrorCategory Category => VirtErrorCategory.InvalidOperation;

    /// <summary>A failed xl command; <paramref name="host"/> is the Xen host xl ran on (<c>user@host:port</c>), or null for this machine.</summary>
    public XenToolstackException(IReadOnlyList<string> command, int? exitCode, string stderr, string? detail = null, Exception? inner = null, string? host = null)
        : base(Compose(command, exitCode, stderr, detail, host), inner)
    {
        Command = command;
        ExitCode = exitCode;
        Stderr = stderr;
        Host = host;
    }

    /// <summary>The xl arguments (without <c>xl</c> itself), e.g. <c>pci-attach vm1 0000:03:00.0</c>.</summary>
    public IReadOnlyList<string> Command { get; }
    /// <summary>xl's exit code; null when it was never started or did not finish.</summary>
    public int? ExitCode { get; }
    /// <summary>What xl wrote on stderr (its own error message).</summary>
    public string Stderr { get; }
    /// <summary>The Xen host (<c>user@host:port</c>) when xl ran over SSH; null on this machine.</summary>
    public string? Host { get; }

    /// <summary>The command as one line, for messages.</summary>
    public string CommandLine => "xl " + string.Join(' ', Command);

    private static string Compose(IReadOnlyList<string> command, int? exitCode, string stderr, string? detail, string? host)
    {
        var line = "xl " + string.Join(' ', command);
        var where = host is null ? "" : " on " + host;
        var what = detail ?? (exitCode is int code ? string.Create(CultureInfo.InvariantCulture, $"failed with exit code {code}") : "failed");
        var err = stderr.Trim();
        return $"'{line}'{where} {what}" + (err.Length > 0 ? ": " + err : ".");
    }
}

/// <summary>The <c>xl</c> program is not installed (not on PATH) where it should run: nothing of Xen can run there.</summary>
public sealed class XenToolstackNotFoundException : XenToolstackException
{
    /// <inheritdoc />
    public override string ErrorId => "XenToolstackNotFound";

    /// <inheritdoc />
    public override VirtErrorCategory Category => VirtErrorCategory.NotInstalled;

    public const string InstallHint =
        "Install the Xen toolstack (Debian: apt-get install xen-utils-4.17, or xen-system-amd64 for the hypervisor too) and run on a Xen dom0, or set xen_host to reach one over SSH";

    public XenToolstackNotFoundException(IReadOnlyList<string> command, string xlPath, Exception? inner = null, string? host = null)
        : base(command, null, "", $"could not run: '{xlPath}' was not found on PATH. {InstallHint}", inner, host)
    {
        XlPath = xlPath;
    }

    /// <summary>The program name or path that was looked for.</summary>
    public string XlPath { get; }
}
