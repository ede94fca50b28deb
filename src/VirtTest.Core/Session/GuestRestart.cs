using System.Text.RegularExpressions;
using VirtTest.Core.Vm;

namespace VirtTest.Core.Session;

/// <summary>How <see cref="GuestRestart"/> reboots a guest.</summary>
public enum RestartMethod
{
    /// <summary>From inside: the reboot command (param <c>reboot_command</c>, default <c>reboot</c>) typed in a guest shell.</summary>
    Guest,
    /// <summary>By the hypervisor: a system reset (the reset button), the guest is not asked.</summary>
    Reset,
}

/// <summary>
/// Reboots a VM's guest and waits until it is back (the reference's <c>vm.reboot</c>): the
/// console log's length is taken first, the reboot is asked for, and the guest is back when its
/// ready pattern (param <c>ready_pattern</c>, else a <c>login:</c> prompt) appears in what it
/// prints after that point, which only a new boot prints. Sessions given are closed: a new
/// boot has no shell of the old one.
/// </summary>
public static class GuestRestart
{
    private static readonly Regex LoginPrompt = new(@"\S+ login:\s*$", RegexOptions.Multiline);

    /// <param name="vm">The running VM.</param>
    /// <param name="method">From inside the guest, or a system reset.</param>
    /// <param name="sessions">The VM's sessions to close; for <see cref="RestartMethod.Guest"/> the first open one types the reboot command (none: a serial login is made for it).</param>
    /// <param name="timeout">For the whole restart (login included); null: the params' <c>login_timeout</c>.</param>
    /// <param name="ct">Stops the wait.</param>
    /// <returns>The time from the request to the guest being back.</returns>
    public static async Task<TimeSpan> RestartAsync(VirtualMachine vm, RestartMethod method, IReadOnlyList<GuestSession> sessions, TimeSpan? timeout = null,
        CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(vm);
        ArgumentNullException.ThrowIfNull(sessions);
        if (!vm.Supports(VmCapability.SerialConsole)) throw new NotSupportedByBackendException(vm.BackendName, VmCapability.SerialConsole, "a restart is seen on the serial console");
        if (method == RestartMethod.Reset && !vm.Supports(VmCapability.Reset)) throw new NotSupportedByBackendException(vm.BackendName, VmCapability.Reset);
        if (vm.State is not (VmState.Running or VmState.Paused)) throw new VmStateException(vm.Name, vm.State, "restart", vm.State == VmState.Dead ? vm.DeathReason : null);
        var read = new VmParamsReader(vm.Name, vm.Params);
        var limit = timeout ?? read.LoginTimeout;
        var deadline = DateTime.UtcNow + limit;
        var back = read.ReadyPattern is { Length: > 0 } pattern ? Pattern(vm.Name, pattern) : LoginPrompt;

        GuestSession? own = null;
        var clock = System.Diagnostics.Stopwatch.StartNew();
        long offset;
        try
        {
            if (method == RestartMethod.Guest)
            {
                var shell = sessions.FirstOrDefault(s => s.IsOpen);
                if (shell is null)
                {
                    var options = SessionOptions.FromParams(vm.Params, SessionTransport.Serial, timeout: Left(deadline));
                    own = shell = await GuestLogin.WaitForLoginAsync(vm, options, ct).ConfigureAwait(false);
                }
                offset = vm.ConsoleLogLength;
                clock.Restart();
                await shell.SendLineAsync(vm.Params.Get("reboot_command") is { Length: > 0 } command ? command : "reboot", ct).ConfigureAwait(false);
            }
            else
            {
                offset = vm.ConsoleLogLength;
                clock.Restart();
                await vm.SystemResetAsync(ct).ConfigureAwait(false);
            }
        }
        finally
        {
            if (own is not null) await own.DisposeAsync().ConfigureAwait(false);
        }
        // The old boot's shells are gone with it (a serial session would still read the console, but its shell is dead).
        foreach (var s in sessions) await s.DisposeAsync().ConfigureAwait(false);
        await vm.WaitForConsoleAfterAsync(back, offset, Left(deadline), ct).ConfigureAwait(false);
        return clock.Elapsed;
    }

    private static Regex Pattern(string vm, string pattern)
    {
        try { return new Regex(pattern, RegexOptions.Multiline); }
        catch (ArgumentException ex) { throw new VmParamException(vm, "ready_pattern", pattern, "not a valid regular expression: " + ex.Message); }
    }

    private static TimeSpan Left(DateTime deadline) => deadline - DateTime.UtcNow is var l && l > TimeSpan.Zero ? l : TimeSpan.Zero;
}
