namespace VirtTest.Core.Session;

/// <summary>
/// POSIX shells. The line is <c>echo V''id;command;echo V$?Eid</c>: <c>V''id</c> becomes
/// <c>Vid</c> and <c>$?</c> the status only when the shell runs the line. It is as short as
/// that allows: a guest's line editor echoes it byte by byte, each byte a round through an
/// emulated UART, the largest cost of a serial command.
/// </summary>
public sealed class PosixShellDialect : ShellDialect
{
    internal PosixShellDialect() { }

    public override string Name => "posix";

    public override string LineEnding => "\n";

    public override string DefaultPrompt => @"[#$] $";

    public override string FrameCommand(string command, string id)
    {
        var trimmed = command.TrimEnd();
        // A command sent to the background ends with '&', which already separates.
        var separator = trimmed.EndsWith('&') && !trimmed.EndsWith("&&", StringComparison.Ordinal) ? "" : ";";
        // No newline is added before the end marker: output without a final newline ends right
        // before it, output with one keeps it.
        return $"echo V''{id};{trimmed}{separator}echo V$?E{id}";
    }

    public override string FrameSync(string id) => $"echo V''{id}S";
}
