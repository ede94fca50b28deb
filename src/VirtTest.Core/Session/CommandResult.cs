namespace VirtTest.Core.Session;

/// <summary>What a shell command printed and how it ended.</summary>
public sealed record CommandResult(string Command, int ExitCode, string Output, TimeSpan Duration)
{
    public bool Succeeded => ExitCode == 0;
    public override string ToString() => Output;
}

/// <summary>The result of waiting for a pattern: the match and the text before it.</summary>
public sealed record ExpectResult(string Match, IReadOnlyList<string> Groups, string Before);
