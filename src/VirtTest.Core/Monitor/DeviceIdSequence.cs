using System.Globalization;

namespace VirtTest.Core.Monitor;

/// <summary>
/// Ids for devices a caller adds without naming them (<c>virttest-dev1</c>, <c>virttest-dev2</c>, ...).
/// One sequence per VM, kept across restarts and handed to a migration's destination, so an id
/// is never given twice to devices of one guest.
/// </summary>
public sealed class DeviceIdSequence
{
    public const string Prefix = "virttest-dev";
    private int _last;

    public string Next() => Prefix + Interlocked.Increment(ref _last).ToString(CultureInfo.InvariantCulture);
}
