namespace VirtTest.Core.Session;

/// <summary>
/// One command run on the SSH exec channel, its streams kept apart and untouched (no
/// cleaning). <see cref="ExitStatus"/> is the command's, or 128 + the signal number when a
/// signal ended it (as shells report it), or -1 when the server sent neither.
/// </summary>
public sealed record SshExecResult(string Command, int ExitStatus, string Stdout, string Stderr, string? ExitSignal, TimeSpan Duration)
{
    public bool Succeeded => ExitStatus == 0;
    public override string ToString() => Stdout + Stderr;
}
