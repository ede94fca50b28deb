using System.Text.RegularExpressions;

namespace VirtTest.Core.Session;

/// <summary>
/// What kind of shell a text session talks to: how a line ends, what its prompt looks like,
/// and how one command line is framed so that its output and exit status can be read back
/// from the interactive stream. <see cref="Posix"/> (sh, bash, busybox ash) and
/// <see cref="Cmd"/> (Windows' cmd.exe).
/// </summary>
/// <remarks>
/// Framing: the command is sent as one line that prints a start marker, runs the command and
/// prints an end marker carrying the exit status. The markers only take their final form
/// once the shell expands them, so an echo of the typed line (a terminal's, or cmd's own)
/// never matches them: the echo is never taken for a result. Both dialects print the start
/// marker <c>V&lt;id&gt;</c> on a line of its own and the end marker <c>V&lt;status&gt;E&lt;id&gt;</c>.
/// </remarks>
public abstract class ShellDialect
{
    /// <summary>sh, bash, busybox ash: <c>\n</c>, status from <c>$?</c>.</summary>
    public static ShellDialect Posix { get; } = new PosixShellDialect();

    /// <summary>Windows' cmd.exe: <c>\r</c>, status from <c>%errorlevel%</c>.</summary>
    public static ShellDialect Cmd { get; } = new CmdShellDialect();

    /// <summary>"posix" or "cmd" (the values of the <c>shell_dialect</c> param).</summary>
    public abstract string Name { get; }

    /// <summary>What ends a typed line.</summary>
    public abstract string LineEnding { get; }

    /// <summary>The prompt pattern when the params give none (<c>shell_prompt</c>).</summary>
    public abstract string DefaultPrompt { get; }

    /// <summary>Ctrl+C, as typed on a terminal or console.</summary>
    public string Interrupt => "\u0003";

    /// <summary>
    /// The line (without its ending) that runs <paramref name="command"/> between the markers of
    /// <paramref name="id"/> (letters and digits only).
    /// </summary>
    public abstract string FrameCommand(string command, string id);

    /// <summary>
    /// A line that only prints <c>V&lt;id&gt;S</c>: once that shows, the shell has read
    /// everything typed before (used after Ctrl+C, when a bare Enter's prompt cannot be told
    /// from the one before it).
    /// </summary>
    public abstract string FrameSync(string id);

    /// <summary>What <see cref="FrameSync"/> prints.</summary>
    public Regex SyncMarker(string id) => new($"V{id}S\n");

    /// <summary>The start marker as the shell prints it (cleaned text: no <c>\r</c>).</summary>
    public Regex StartMarker(string id) => new($"V{id}\n");

    /// <summary>The end marker as the shell prints it; group 1 is the exit status.</summary>
    public Regex EndMarker(string id) => new($"V(-?\\d+)E{id}\n");

    /// <summary>The dialect named <paramref name="name"/> ("posix" or "cmd", any case), or null.</summary>
    public static ShellDialect? FromName(string? name) => name?.Trim().ToLowerInvariant() switch
    {
        "posix" or "sh" => Posix,
        "cmd" => Cmd,
        _ => null,
    };

    /// <summary>The dialect for an <c>os_type</c> param value: cmd for "windows", else POSIX.</summary>
    public static ShellDialect ForOsType(string? osType) =>
        string.Equals(osType?.Trim(), "windows", StringComparison.OrdinalIgnoreCase) ? Cmd : Posix;

    public override string ToString() => Name;
}
