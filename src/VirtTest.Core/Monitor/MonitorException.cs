namespace VirtTest.Core.Monitor;

/// <summary>A monitor (QMP, human monitor, libvirt, xl) could not carry out a request.</summary>
public class MonitorException : VirtTestException
{
    /// <inheritdoc />
    public override string ErrorId => "Monitor";

    /// <inheritdoc />
    public override VirtErrorCategory Category => VirtErrorCategory.InvalidOperation;

    public MonitorException(string message, Exception? inner = null) : base(message, inner) { }
}

/// <summary>The monitor answered a command with an error.</summary>
public class MonitorCommandException : MonitorException
{
    /// <inheritdoc />
    public override string ErrorId => "MonitorCommand." + ErrorClass;

    /// <inheritdoc />
    public override VirtErrorCategory Category => VirtErrorCategory.InvalidOperation;

    public MonitorCommandException(string command, string errorClass, string description)
        : base($"Monitor command '{command}' failed: {errorClass}: {description}")
    {
        Command = command;
        ErrorClass = errorClass;
        Description = description;
    }

    /// <summary>The command that failed (for QMP its name, e.g. <c>device_add</c>).</summary>
    public string Command { get; }
    /// <summary>The monitor's own error class (QMP: <c>GenericError</c>, <c>DeviceNotFound</c>, ...).</summary>
    public string ErrorClass { get; }
    /// <summary>The monitor's own description of the error.</summary>
    public string Description { get; }
}

/// <summary>No answer (or awaited event) within the deadline.</summary>
public class MonitorTimeoutException : MonitorException
{
    /// <inheritdoc />
    public override string ErrorId => "MonitorTimeout";

    /// <inheritdoc />
    public override VirtErrorCategory Category => VirtErrorCategory.OperationTimeout;

    public MonitorTimeoutException(string what, TimeSpan timeout)
        : base($"Timed out after {timeout.TotalSeconds:0.###} s waiting for {what}.")
    {
        Timeout = timeout;
    }

    public TimeSpan Timeout { get; }
}

/// <summary>The monitor connection could not be made or was closed (typically: the hypervisor process died).</summary>
public class MonitorConnectionException : MonitorException
{
    /// <inheritdoc />
    public override string ErrorId => "MonitorConnection";

    /// <inheritdoc />
    public override VirtErrorCategory Category => VirtErrorCategory.ConnectionError;

    public MonitorConnectionException(string message, Exception? inner = null) : base(message, inner) { }
}
