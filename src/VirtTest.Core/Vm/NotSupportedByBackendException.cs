namespace VirtTest.Core.Vm;

/// <summary>
/// An operation outside the capability set of a backend (or of one VM on it). Raised
/// instead of doing nothing, so a test never passes by silently skipping its work.
/// </summary>
public sealed class NotSupportedByBackendException : VirtTestException
{
    /// <inheritdoc />
    public override string ErrorId => "NotSupportedByBackend";

    /// <inheritdoc />
    public override VirtErrorCategory Category => VirtErrorCategory.NotImplemented;

    public NotSupportedByBackendException(string backend, VmCapability capability, string? detail = null)
        : base($"The {backend} backend does not support {capability}" + (detail is null ? "." : $": {detail}."))
    {
        Backend = backend;
        Capability = capability;
    }

    public string Backend { get; }
    public VmCapability Capability { get; }
}
