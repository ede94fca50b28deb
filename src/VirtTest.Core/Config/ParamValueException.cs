namespace VirtTest.Core.Config;

/// <summary>
/// A parameter holds a value its reader cannot use (<c>mem = lots</c> read as a size). Names the
/// key, the value and the form that was expected.
/// </summary>
/// <remarks>
/// Derives from <see cref="ArgumentException"/> rather than from <c>VirtTestException</c>
/// because <c>Config/</c> depends on nothing else in Core; the PowerShell layer maps it like any
/// argument error (id <c>VirtTest.InvalidArgument</c>, category InvalidArgument).
/// <see cref="ArgumentException.ParamName"/> is the key.
/// </remarks>
public sealed class ParamValueException : ArgumentException
{
    public ParamValueException(string key, string value, string expected, Exception? inner = null)
        : base("parameter '" + key + "' has the value '" + value + "', which is not " + expected +
               "; fix it in the config or with a filter such as '" + key + " = ...'", key, inner)
    {
        Key = key;
        Value = value;
        Expected = expected;
    }

    /// <summary>The parameter's key.</summary>
    public string Key { get; }
    /// <summary>The value as the config wrote it.</summary>
    public string Value { get; }
    /// <summary>What a valid value looks like.</summary>
    public string Expected { get; }
}
