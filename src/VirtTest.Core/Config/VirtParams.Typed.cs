namespace VirtTest.Core.Config;

/// <summary>Typed readers: a missing key (or an empty value) gives the default, a malformed one a <see cref="ParamValueException"/>.</summary>
public sealed partial class VirtParams
{
    private string? Present(string key) => Lookup(key) is { } v && !string.IsNullOrWhiteSpace(v) ? v : null;

    /// <summary>The value as a boolean (<see cref="ParamValues.ParseBool"/>: yes/no, true/false, on/off).</summary>
    public bool GetBool(string key, bool defaultValue = false) =>
        Present(key) is { } v ? ParamValues.ParseBool(key, v) : defaultValue;

    /// <summary>The value as a 32-bit integer.</summary>
    public int GetInt(string key, int defaultValue = 0) =>
        Present(key) is { } v ? ParamValues.ParseInt(key, v) : defaultValue;

    /// <summary>The value as a finite floating-point number.</summary>
    public double GetDouble(string key, double defaultValue = 0) =>
        Present(key) is { } v ? ParamValues.ParseDouble(key, v) : defaultValue;

    /// <summary>The white-space separated words of the value (the default, or an empty list, when missing).</summary>
    public IReadOnlyList<string> GetList(string key, IReadOnlyList<string>? defaultValue = null) =>
        Present(key) is { } v ? ParamValues.ParseList(v) : defaultValue ?? Array.Empty<string>();

    /// <summary>
    /// The value as a size in <b>bytes</b> (<c>10G</c>, <c>512M</c>, <c>1024K</c>, <c>4096</c>); a number
    /// without a unit counts in <paramref name="bareUnit"/> (B, K, M, G or T; bytes by default), so
    /// <c>GetSize("mem", bareUnit: 'M')</c> reads the framework's <c>mem = 1024</c> as 1 GiB.
    /// </summary>
    public long GetSize(string key, long defaultBytes = 0, char bareUnit = 'B') =>
        Present(key) is { } v ? ParamValues.ParseSize(key, v, bareUnit) : defaultBytes;
}
