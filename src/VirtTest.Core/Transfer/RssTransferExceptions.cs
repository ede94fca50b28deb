namespace VirtTest.Core.Transfer;

/// <summary>The RSS file-transfer server refused: it sent ERROR with <see cref="ServerMessage"/>.</summary>
public sealed class RssServerException : TransferException
{
    /// <inheritdoc />
    public override string ErrorId => "RssServer";

    /// <inheritdoc />
    public override VirtErrorCategory Category => VirtErrorCategory.InvalidOperation;

    public RssServerException(string server, string path, string serverMessage, string doing)
        : base(server, path, $"{server} refused {doing}: {serverMessage}") => ServerMessage = serverMessage;

    /// <summary>The server's own words.</summary>
    public string ServerMessage { get; }
}

/// <summary>
/// The connection to the RSS file-transfer server failed: refused, reset, or closed in the
/// middle of a transfer. <see cref="ClosedBeforeMessage"/>: the server ended the connection
/// the way it does after an error, but its message could not be read (a server closing with
/// data of the client still unread makes the client see a reset).
/// </summary>
public sealed class RssConnectionException : TransferException
{
    /// <inheritdoc />
    public override string ErrorId => "RssConnection";

    /// <inheritdoc />
    public override VirtErrorCategory Category => VirtErrorCategory.ConnectionError;

    public RssConnectionException(string server, string path, string message, bool closedBeforeMessage, Exception? inner = null)
        : base(server, path, message, inner) => ClosedBeforeMessage = closedBeforeMessage;

    public bool ClosedBeforeMessage { get; }
}

/// <summary>The peer does not speak the RSS file-transfer protocol as expected (bad magic, unknown message, oversized packet).</summary>
public sealed class RssProtocolException : TransferException
{
    /// <inheritdoc />
    public override string ErrorId => "RssProtocol";

    /// <inheritdoc />
    public override VirtErrorCategory Category => VirtErrorCategory.InvalidData;

    public RssProtocolException(string server, string path, string message) : base(server, path, message) { }
}

/// <summary>A transfer did not finish within its deadline; what was written on the host is removed.</summary>
public sealed class TransferTimeoutException : TransferException
{
    /// <inheritdoc />
    public override string ErrorId => "TransferTimeout";

    /// <inheritdoc />
    public override VirtErrorCategory Category => VirtErrorCategory.OperationTimeout;

    public TransferTimeoutException(string server, string path, string message, TimeSpan timeout) : base(server, path, message) => Timeout = timeout;

    public TimeSpan Timeout { get; }
}
