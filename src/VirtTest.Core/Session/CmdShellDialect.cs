namespace VirtTest.Core.Session;

/// <summary>
/// Windows' cmd.exe. The line is <c>echo V^id&amp; (call )&amp; command&amp; call echo V%^errorlevel%Eid</c>:
/// <list type="bullet">
/// <item><c>^</c> escapes the next character, so the shell prints <c>Vid</c> while an echo
/// of the typed line shows <c>V^id</c>.</item>
/// <item><c>(call )</c> sets the errorlevel to 0: commands that succeed without setting it
/// (echo, cd, set) then report 0, not what an earlier command left.</item>
/// <item>cmd expands <c>%variables%</c> when it reads a line, before running it, so a plain
/// <c>%errorlevel%</c> would be the status from before the command. <c>%^errorlevel%</c> is no
/// variable at first (it is left as is, then the caret goes), and <c>call</c> expands the line
/// once more when it runs, after the command: the status is the command's.</item>
/// <item><c>&amp;</c> runs the next command whatever the status; no space before it, so that
/// <c>echo</c> prints no trailing blank.</item>
/// </list>
/// cmd reads <c>\r</c> as the end of a line (a <c>\r\n</c> leaves a stray <c>\n</c> that spoils
/// the next command on some cmd implementations). <c>%errorlevel%</c> after a framed command is
/// not defined (Wine's <c>call</c> sets it to 1): each command reports its own status.
/// </summary>
public sealed class CmdShellDialect : ShellDialect
{
    internal CmdShellDialect() { }

    public override string Name => "cmd";

    public override string LineEnding => "\r";

    /// <summary>A drive, a path and <c>&gt;</c>, e.g. <c>C:\Windows&gt;</c>.</summary>
    public override string DefaultPrompt => @"^\w:\\.*>\s*$";

    public override string FrameCommand(string command, string id) =>
        $"echo V^{id}& (call )& {command.TrimEnd()}& call echo V%^errorlevel%E{id}";

    public override string FrameSync(string id) => $"echo V^{id}S";
}
