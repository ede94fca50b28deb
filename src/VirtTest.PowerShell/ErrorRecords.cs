using System.Globalization;
using System.Management.Automation;
using VirtTest.Core.Config;
using VirtTest.Core.Monitor;
using VirtTest.Core.Vm;

namespace VirtTest.PowerShell;

/// <summary>Turns Core exceptions into PowerShell <see cref="ErrorRecord"/>s.</summary>
public static class ErrorRecords
{
    /// <summary>Error id prefix: the full id is <c>VirtTest.ConfigError.&lt;Kind&gt;</c>.</summary>
    public const string ConfigErrorIdPrefix = "VirtTest.ConfigError.";

    /// <summary>
    /// Builds the record for a config error: category <see cref="ErrorCategory.ParserError"/>
    /// (<see cref="ErrorCategory.ObjectNotFound"/> for a missing include), the file name as
    /// target object, and a message that always names <c>file:line</c>.
    /// </summary>
    public static ErrorRecord FromConfigError(ConfigError error)
    {
        ArgumentNullException.ThrowIfNull(error);

        var category = error.Kind == ConfigErrorKind.MissingInclude
            ? ErrorCategory.ObjectNotFound
            : ErrorCategory.ParserError;

        var record = new ErrorRecord(
            error,
            ConfigErrorIdPrefix + error.Kind.ToString(),
            category,
            error.FileName);

        var message = DescribeLocation(error);
        if (!string.Equals(message, error.Message, StringComparison.Ordinal))
        {
            record.ErrorDetails = new ErrorDetails(message);
        }
        return record;
    }

    /// <summary>
    /// The error message, with "(file:line[:column])" appended when the parser's own
    /// message does not already contain the location.
    /// </summary>
    public static string DescribeLocation(ConfigError error)
    {
        var file = string.IsNullOrEmpty(error.FileName) ? "<unknown>" : error.FileName;
        var location = error.Line > 0
            ? string.Create(CultureInfo.InvariantCulture, $"{file}:{error.Line}")
            : file;
        var message = error.Message ?? string.Empty;
        if (message.Contains(location, StringComparison.Ordinal))
        {
            return message;
        }
        if (error.Column is int column && error.Line > 0)
        {
            location = string.Create(CultureInfo.InvariantCulture, $"{location}:{column}");
        }
        var text = string.IsNullOrEmpty(message) ? location : $"{message} ({location})";
        if (!string.IsNullOrWhiteSpace(error.LineText) && !message.Contains(error.LineText!, StringComparison.Ordinal))
        {
            text += Environment.NewLine + "    " + error.LineText!.Trim();
        }
        return text;
    }

    /// <summary>A path given to a cmdlet does not exist.</summary>
    public static ErrorRecord PathNotFound(string path, Exception? inner = null) =>
        new(
            inner ?? new ItemNotFoundException($"Cannot find path '{path}' because it does not exist."),
            "VirtTest.PathNotFound",
            ErrorCategory.ObjectNotFound,
            path)
        {
            ErrorDetails = new ErrorDetails($"Cannot find path '{path}' because it does not exist."),
        };

    /// <summary>A path resolved to something that is not a file-system file.</summary>
    public static ErrorRecord NotAFile(string path, string providerName) =>
        new(
            new ArgumentException($"'{path}' is not a file-system path (provider '{providerName}')."),
            "VirtTest.NotAFileSystemPath",
            ErrorCategory.InvalidArgument,
            path);

    /// <summary>
    /// Maps a Core exception to a record with a stable error id and a fitting category:
    /// unsupported operations are NotImplemented, bad params InvalidArgument, monitor
    /// timeouts OperationTimeout, a dead hypervisor ConnectionError.
    /// </summary>
    public static ErrorRecord FromException(Exception error, object? target)
    {
        ArgumentNullException.ThrowIfNull(error);
        if (error is ConfigError configError) return FromConfigError(configError);
        var (id, category) = error switch
        {
            NotSupportedByBackendException => ("VirtTest.NotSupportedByBackend", ErrorCategory.NotImplemented),
            Core.Backends.Xen.XenToolstackNotFoundException => ("VirtTest.XenToolstackNotFound", ErrorCategory.NotInstalled),
            Core.Backends.Xen.XenToolstackException => ("VirtTest.XenToolstack", ErrorCategory.InvalidOperation),
            Core.Session.ShellCommandError => ("VirtTest.ShellCommand", ErrorCategory.NotSpecified),
            Core.Session.SshHostKeyException => ("VirtTest.SshHostKey", ErrorCategory.SecurityError),
            Core.Transfer.TransferException => ("VirtTest.Transfer", ErrorCategory.WriteError),
            Core.Resources.ResourceException => ("VirtTest.Resource", ErrorCategory.ResourceUnavailable),
            Core.Session.SessionAuthenticationException => ("VirtTest.SessionAuthentication", ErrorCategory.AuthenticationError),
            Core.Session.SessionTimeoutException => ("VirtTest.SessionTimeout", ErrorCategory.OperationTimeout),
            Core.Session.SessionClosedException => ("VirtTest.SessionClosed", ErrorCategory.ConnectionError),
            Core.Session.SessionException => ("VirtTest.Session", ErrorCategory.InvalidOperation),
            ConsoleUnavailableException => ("VirtTest.ConsoleUnavailable", ErrorCategory.ConnectionError),
            VmParamException => ("VirtTest.VmParam", ErrorCategory.InvalidArgument),
            VmStateException => ("VirtTest.VmState", ErrorCategory.InvalidOperation),
            MonitorTimeoutException => ("VirtTest.MonitorTimeout", ErrorCategory.OperationTimeout),
            MonitorCommandException c => ("VirtTest.MonitorCommand." + c.ErrorClass, ErrorCategory.InvalidOperation),
            MonitorConnectionException => ("VirtTest.MonitorConnection", ErrorCategory.ConnectionError),
            MonitorException => ("VirtTest.Monitor", ErrorCategory.InvalidOperation),
            VmException => ("VirtTest.Vm", ErrorCategory.InvalidOperation),
            FileNotFoundException => ("VirtTest.FileNotFound", ErrorCategory.ObjectNotFound),
            ArgumentException => ("VirtTest.InvalidArgument", ErrorCategory.InvalidArgument),
            TimeoutException => ("VirtTest.Timeout", ErrorCategory.OperationTimeout),
            _ => ("VirtTest.Unexpected", ErrorCategory.NotSpecified),
        };
        return new ErrorRecord(error, id, category, target);
    }

    /// <summary>No VM of this session has a matching name.</summary>
    public static ErrorRecord VmNotFound(string name) =>
        new(
            new ItemNotFoundException($"No VM named '{name}' exists in this session (Get-VirtVm lists them)."),
            "VirtTest.VmNotFound",
            ErrorCategory.ObjectNotFound,
            name);
}
