using System.Globalization;

namespace VirtTest.Core.Backends.Xen;

/// <summary>
/// One VALUE of an xl domain configuration file (xl.cfg(5)): a quoted string, a number,
/// or a list of values. Built from typed parts so that no user value is ever pasted into
/// the file unescaped; <see cref="XlConfigWriter"/> writes them.
/// </summary>
public abstract record XlConfigValue
{
    public static XlConfigValue Str(string value) => new XlString(value);
    public static XlConfigValue Num(long value) => new XlNumber(value);
    public static XlConfigValue Bool(bool value) => new XlNumber(value ? 1 : 0);
    public static XlConfigValue List(IEnumerable<XlConfigValue> items) => new XlList(items.ToList());
    public static XlConfigValue StrList(IEnumerable<string> items) => new XlList(items.Select(Str).ToList());
}

/// <summary>A STRING value; written in double quotes with xl's backslash escapes.</summary>
public sealed record XlString(string Value) : XlConfigValue;

/// <summary>A NUMBER (or BOOLEAN, which xl reads as a number).</summary>
public sealed record XlNumber(long Value) : XlConfigValue
{
    public override string ToString() => Value.ToString(CultureInfo.InvariantCulture);
}

/// <summary>A [ VALUE, VALUE, ... ] list.</summary>
public sealed record XlList(IReadOnlyList<XlConfigValue> Items) : XlConfigValue;
