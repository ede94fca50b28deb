namespace VirtTest.Core;

/// <summary>
/// Base of the typed errors VirtTest raises outside the config engine (VMs, monitors,
/// backends, sessions). Callers can catch this one type; the PowerShell layer maps each
/// subclass to an ErrorRecord category.
/// </summary>
public abstract class VirtTestException : Exception
{
    protected VirtTestException(string message, Exception? inner = null) : base(message, inner) { }
}
