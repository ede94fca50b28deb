using System.Diagnostics;
using VirtTest.Core.Transfer;
using Xunit;

namespace VirtTest.Core.Tests.Transfer;

/// <summary>ShellQuote.Command: an argument list as one command line that a real POSIX shell (sh here) splits back into exactly those arguments.</summary>
public sealed class ShellQuoteTests
{
    private static string[] ThroughShell(string commandLine)
    {
        // printf '<%s>' "$@" shows each argument the shell passed, nothing expanded or split.
        var psi = new ProcessStartInfo("sh") { RedirectStandardOutput = true, UseShellExecute = false };
        psi.ArgumentList.Add("-c");
        psi.ArgumentList.Add("show() { for a in \"$@\"; do printf '<%s>\\n' \"$a\"; done; }; " + commandLine.Replace("printf-args", "show", StringComparison.Ordinal));
        using var p = Process.Start(psi)!;
        var output = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        Assert.Equal(0, p.ExitCode);
        return output.Split(">\n", StringSplitOptions.RemoveEmptyEntries).Select(l => l.TrimStart('<')).ToArray();
    }

    [Theory]
    [InlineData("plain")]
    [InlineData("two words")]
    [InlineData("it's")]
    [InlineData("'")]
    [InlineData("$(touch /tmp/never) `id` $HOME ${x:-y}")]
    [InlineData("a;b|c&d>e<f")]
    [InlineData("*?[x]~")]
    [InlineData("back\\slash \"double\"")]
    [InlineData("line\nbreak\ttab")]
    [InlineData("")]
    [InlineData("-n")]
    public void EachArgumentComesBackAsItWas(string argument)
    {
        var args = new[] { "printf-args", argument, "after" };
        Assert.Equal(new[] { argument, "after" }, ThroughShell(ShellQuote.Command(args)));
    }

    [Fact]
    public void EveryWordIsSingleQuoted()
    {
        Assert.Equal("'xl' 'list' 'a b' 'it'\\''s'", ShellQuote.Command(new[] { "xl", "list", "a b", "it's" }));
    }

    [Fact]
    public void NulAndEmptyCommandsAreRefused()
    {
        Assert.Throws<ArgumentException>(() => ShellQuote.Command(new[] { "xl", "a\0b" }));
        Assert.Throws<ArgumentException>(() => ShellQuote.Command(Array.Empty<string>()));
    }
}
