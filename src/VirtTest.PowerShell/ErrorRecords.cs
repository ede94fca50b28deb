using System.Globalization;
using System.Management.Automation;
using VirtTest.Core.Config;
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
    /// Maps an exception to a record with a stable error id and a fitting category. VirtTest's
    /// own errors name both themselves (<see cref="Core.VirtTestException.ErrorId"/>,
    /// <see cref="Core.VirtTestException.Category"/>), so this layer knows no backend type.
    /// </summary>
    public static ErrorRecord FromException(Exception error, object? target)
    {
        ArgumentNullException.ThrowIfNull(error);
        if (error is ConfigError configError) return FromConfigError(configError);
        var (id, category) = error switch
        {
            Core.VirtTestException v => (v.ErrorId, ToCategory(v.Category)),
            FileNotFoundException => ("FileNotFound", ErrorCategory.ObjectNotFound),
            DirectoryNotFoundException => ("DirectoryNotFound", ErrorCategory.ObjectNotFound),
            ArgumentException => ("InvalidArgument", ErrorCategory.InvalidArgument),
            TimeoutException => ("Timeout", ErrorCategory.OperationTimeout),
            UnauthorizedAccessException => ("PermissionDenied", ErrorCategory.PermissionDenied),
            _ => ("Unexpected", ErrorCategory.NotSpecified),
        };
        return new ErrorRecord(error, "VirtTest." + id, category, target);
    }

    /// <summary>Core's category names are PowerShell's; an unknown one is NotSpecified.</summary>
    public static ErrorCategory ToCategory(Core.VirtErrorCategory category) =>
        Enum.TryParse<ErrorCategory>(category.ToString(), out var c) ? c : ErrorCategory.NotSpecified;

    /// <summary>No VM of this session has a matching name.</summary>
    public static ErrorRecord VmNotFound(string name) =>
        new(
            new ItemNotFoundException($"No VM named '{name}' exists in this session (Get-VirtVm lists them)."),
            "VirtTest.VmNotFound",
            ErrorCategory.ObjectNotFound,
            name);
}
