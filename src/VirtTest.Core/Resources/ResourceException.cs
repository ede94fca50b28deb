namespace VirtTest.Core.Resources;

/// <summary>
/// A host resource (MAC address, TCP port, lock file) could not be had: the pool is
/// exhausted, or another process held its lock for too long.
/// </summary>
public sealed class ResourceException : VirtTestException
{
    /// <inheritdoc />
    public override string ErrorId => "Resource";

    /// <inheritdoc />
    public override VirtErrorCategory Category => VirtErrorCategory.ResourceUnavailable;

    public ResourceException(string resource, string message, Exception? inner = null) : base(message, inner) => Resource = resource;

    /// <summary>What was asked for, e.g. "MAC address" or "TCP port".</summary>
    public string Resource { get; }
}
