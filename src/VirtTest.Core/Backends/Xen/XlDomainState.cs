namespace VirtTest.Core.Backends.Xen;

/// <summary>Why a Xen domain shut down (libxl_shutdown_reason), as the fifth letter of xl list's State column shows it.</summary>
public enum XlShutdownReason
{
    /// <summary>Not shut down, or powered off (xl prints <c>-</c> for both).</summary>
    PowerOff,
    Reboot,
    Suspend,
    Crash,
    Watchdog,
    SoftReset,
    Unknown,
}

/// <summary>
/// A domain's state as the State column of <c>xl list</c> prints it: six places, <c>r b p s</c>,
/// then the shutdown reason's letter (<c>- r s c w S</c>: power-off, reboot, suspend, crash,
/// watchdog, soft reset), then <c>d</c> (xl_info.c). So <c>--psr-</c> is a paused domain that the
/// guest (or a triple fault) shut down to reboot, and that xl is about to build again when
/// <c>on_reboot</c> restarts.
/// </summary>
public readonly record struct XlDomainState(bool Running, bool Blocked, bool Paused, bool Shutdown, XlShutdownReason Reason, bool Dying)
{
    public static XlDomainState Parse(string flags)
    {
        if (flags.Length != 6)
            throw new FormatException($"'{flags}' is not an xl list state (six places: r b p s, the shutdown reason, d)");
        return new XlDomainState(flags[0] == 'r', flags[1] == 'b', flags[2] == 'p', flags[3] == 's',
            flags[3] != 's' ? XlShutdownReason.PowerOff : flags[4] switch
            {
                '-' => XlShutdownReason.PowerOff,
                'r' => XlShutdownReason.Reboot,
                's' => XlShutdownReason.Suspend,
                'c' => XlShutdownReason.Crash,
                'w' => XlShutdownReason.Watchdog,
                'S' => XlShutdownReason.SoftReset,
                _ => XlShutdownReason.Unknown,
            },
            flags[5] == 'd');
    }

    /// <summary>
    /// The domain config's setting that says what xl does after a shutdown for <paramref name="reason"/>
    /// (xl.cfg(5)), or null when none does (a suspend belongs to xl save or a migration).
    /// </summary>
    public static string? ActionSetting(XlShutdownReason reason) => reason switch
    {
        XlShutdownReason.PowerOff => "on_poweroff",
        XlShutdownReason.Reboot => "on_reboot",
        XlShutdownReason.Crash => "on_crash",
        XlShutdownReason.Watchdog => "on_watchdog",
        XlShutdownReason.SoftReset => "on_soft_reset",
        _ => null,
    };

    /// <summary>The default of <see cref="ActionSetting"/> in xl.cfg(5).</summary>
    public static string DefaultAction(XlShutdownReason reason) => reason switch
    {
        XlShutdownReason.Reboot => "restart",
        XlShutdownReason.SoftReset => "soft-reset",
        _ => "destroy",
    };

    /// <summary>Actions after which the domain lives on under its name: xl builds it again, or resets it in place.</summary>
    public static bool DomainComesBack(string action) => action is "restart" or "rename-restart" or "coredump-restart" or "soft-reset";

    /// <summary>The shutdown in words, for a VM's death reason.</summary>
    public static string Describe(XlShutdownReason reason) => reason switch
    {
        XlShutdownReason.PowerOff => "the guest powered the domain off",
        XlShutdownReason.Reboot => "the guest rebooted the domain",
        XlShutdownReason.Suspend => "the domain was suspended (xl save, or a migration)",
        XlShutdownReason.Crash => "the domain crashed",
        XlShutdownReason.Watchdog => "the domain's watchdog fired",
        XlShutdownReason.SoftReset => "the guest soft-reset the domain",
        _ => "the domain shut down (reason unknown to this xl parser)",
    };
}
