namespace VirtTest.Core;

/// <summary>
/// Base of the typed errors VirtTest raises outside the config engine (VMs, monitors,
/// backends, sessions). Callers can catch this one type. Each error names its own stable
/// id and category, so the PowerShell layer turns any of them into an ErrorRecord without
/// knowing the concrete (possibly backend-specific) type.
/// </summary>
public abstract class VirtTestException : Exception
{
    protected VirtTestException(string message, Exception? inner = null) : base(message, inner) { }

    /// <summary>Stable error id without the <c>VirtTest.</c> prefix (e.g. <c>VmState</c>, <c>MonitorCommand.GenericError</c>).</summary>
    public abstract string ErrorId { get; }

    /// <summary>What kind of failure this is (mapped by name onto PowerShell's ErrorCategory).</summary>
    public abstract VirtErrorCategory Category { get; }
}

/// <summary>
/// The failure kinds VirtTest reports. The names are those of PowerShell's ErrorCategory,
/// which the PowerShell layer maps them to; Core itself does not reference PowerShell.
/// </summary>
public enum VirtErrorCategory
{
    NotSpecified,
    InvalidArgument,
    InvalidOperation,
    InvalidData,
    ObjectNotFound,
    ResourceExists,
    ResourceBusy,
    ResourceUnavailable,
    ConnectionError,
    OperationTimeout,
    OperationStopped,
    NotImplemented,
    NotInstalled,
    AuthenticationError,
    SecurityError,
    PermissionDenied,
    ReadError,
    WriteError,
    ParserError,
    DeviceError,
}
