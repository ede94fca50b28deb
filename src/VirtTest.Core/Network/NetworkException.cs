namespace VirtTest.Core.Network;

/// <summary>
/// A host network operation failed (namespace, bridge, veth, tap, dnsmasq, ping). The more
/// specific kinds below say why; this one carries what <c>ip</c> or the tool reported.
/// </summary>
public class NetworkException : VirtTestException
{
    /// <inheritdoc />
    public override string ErrorId => "Network";

    /// <inheritdoc />
    public override VirtErrorCategory Category => VirtErrorCategory.InvalidOperation;

    public NetworkException(string? objectName, string message, Exception? inner = null) : base(message, inner) => ObjectName = objectName;

    /// <summary>The interface, namespace or network the operation was about, when there is one.</summary>
    public string? ObjectName { get; }
}

/// <summary>The bridge a NIC or network should be attached to does not exist.</summary>
public sealed class BridgeNotFoundException : NetworkException
{
    /// <inheritdoc />
    public override string ErrorId => "Network.BridgeNotFound";

    /// <inheritdoc />
    public override VirtErrorCategory Category => VirtErrorCategory.ObjectNotFound;

    public BridgeNotFoundException(string bridge, string? networkNamespace, string? detail = null)
        : base(bridge, $"Bridge '{bridge}' does not exist in {NamespaceText(networkNamespace)}{(detail is null ? "" : ": " + detail)}. " +
                       "Create it first (ip link add NAME type bridge), or name an existing one (param netdst, netdst_netns for its namespace).")
    {
        Bridge = bridge;
        NetworkNamespace = networkNamespace;
    }

    public string Bridge { get; }
    /// <summary>The namespace that was searched; null for the host's own.</summary>
    public string? NetworkNamespace { get; }

    internal static string NamespaceText(string? ns) => ns is null ? "the host network namespace" : $"network namespace '{ns}'";
}

/// <summary>An interface, namespace or other network object that should exist does not.</summary>
public sealed class NetworkObjectNotFoundException : NetworkException
{
    /// <inheritdoc />
    public override string ErrorId => "Network.NotFound";

    /// <inheritdoc />
    public override VirtErrorCategory Category => VirtErrorCategory.ObjectNotFound;

    public NetworkObjectNotFoundException(string objectName, string message, Exception? inner = null) : base(objectName, message, inner) { }
}

/// <summary>A network object of that name exists already.</summary>
public sealed class NetworkObjectExistsException : NetworkException
{
    /// <inheritdoc />
    public override string ErrorId => "Network.Exists";

    /// <inheritdoc />
    public override VirtErrorCategory Category => VirtErrorCategory.ResourceExists;

    public NetworkObjectExistsException(string objectName, string message, Exception? inner = null) : base(objectName, message, inner) { }
}

/// <summary>The process may not change the host's network (creating namespaces, links and taps needs CAP_NET_ADMIN, i.e. root).</summary>
public sealed class NetworkPermissionException : NetworkException
{
    /// <inheritdoc />
    public override string ErrorId => "Network.PermissionDenied";

    /// <inheritdoc />
    public override VirtErrorCategory Category => VirtErrorCategory.PermissionDenied;

    public NetworkPermissionException(string? objectName, string operation, string detail)
        : base(objectName, $"Permission denied to {operation}: {detail}. Network namespaces, bridges and taps need root (CAP_NET_ADMIN); run as root, or leave out the tests tagged Network.") { }
}

/// <summary>An interface name is empty, too long (Linux allows 15 bytes: IFNAMSIZ - 1) or has characters Linux refuses.</summary>
public sealed class InterfaceNameException : NetworkException
{
    /// <inheritdoc />
    public override string ErrorId => "Network.InterfaceName";

    /// <inheritdoc />
    public override VirtErrorCategory Category => VirtErrorCategory.InvalidArgument;

    public InterfaceNameException(string name, string reason)
        : base(name, $"'{name}' is not a valid interface name: {reason}.") { }
}

/// <summary>A program the network code runs (ip, dnsmasq, ping) is not installed.</summary>
public sealed class NetworkToolMissingException : NetworkException
{
    /// <inheritdoc />
    public override string ErrorId => "Network.ToolMissing";

    /// <inheritdoc />
    public override VirtErrorCategory Category => VirtErrorCategory.NotInstalled;

    public NetworkToolMissingException(string tool, string package)
        : base(null, $"'{tool}' is not installed (Debian package {package}: apt-get install {package}).")
    {
        Tool = tool;
        Package = package;
    }

    public string Tool { get; }
    public string Package { get; }
}

/// <summary>A guest NIC had no address within the time given.</summary>
public sealed class GuestAddressTimeoutException : NetworkException
{
    /// <inheritdoc />
    public override string ErrorId => "Network.AddressTimeout";

    /// <inheritdoc />
    public override VirtErrorCategory Category => VirtErrorCategory.OperationTimeout;

    public GuestAddressTimeoutException(string vmName, string message) : base(vmName, message) => VmName = vmName;

    public string VmName { get; }
}
