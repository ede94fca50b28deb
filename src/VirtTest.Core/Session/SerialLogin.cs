using System.Text.RegularExpressions;

namespace VirtTest.Core.Session;

/// <summary>
/// Logs in on a serial console: answers login and password prompts until the shell prompt
/// shows, retrying (the guest may still be booting) until the deadline. The password is
/// sent to the guest and nowhere else: not to logs, errors or traces.
/// </summary>
public static class SerialLogin
{
    /// <summary>
    /// getty's "host login: ". Not the "Last login: ..." line a distribution's login prints
    /// after a good password: read up to a chunk boundary, that line can end in "login: " too.
    /// </summary>
    private static readonly Regex LoginPrompt = new(@"(?<![Ll]ast )[Ll]ogin:\s*$");
    private static readonly Regex PasswordPrompt = new(@"[Pp]assword:\s*$");
    private static readonly TimeSpan PasswordSettle = TimeSpan.FromMilliseconds(300);

    public static async Task LoginAsync(SerialSession session, string userName, string? password, TimeSpan timeout, CancellationToken ct = default)
    {
        var deadline = DateTime.UtcNow + timeout;
        // With the prompt's own options: a '^' in shell_prompt needs Multiline (SessionOptions sets it).
        var any = new Regex($"(?<shell>{session.ShellPrompt})|(?<login>{LoginPrompt})|(?<password>{PasswordPrompt})", session.ShellPrompt.Options);
        var sentUser = false;
        var sentPassword = false;
        await session.SendLineAsync("", ct).ConfigureAwait(false);
        while (true)
        {
            var left = deadline - DateTime.UtcNow;
            if (left <= TimeSpan.Zero) throw new SessionTimeoutException(session.Name, "a login, password or shell prompt", timeout, "");
            ExpectResult seen;
            try
            {
                // Short waits, then a fresh Enter: a prompt printed before we connected is not repeated otherwise.
                seen = await session.ReadUntilPromptAsync(left < TimeSpan.FromSeconds(5) ? left : TimeSpan.FromSeconds(5), any, ct).ConfigureAwait(false);
            }
            catch (SessionTimeoutException)
            {
                // After the password the guest answers by itself (a shell, or 'Login incorrect'
                // after its failure delay); an Enter then would be read as the next login name.
                if (!sentPassword) await session.SendLineAsync("", ct).ConfigureAwait(false);
                continue;
            }
            var match = any.Match(seen.Match);
            if (match.Groups["shell"].Success) return;
            if (match.Groups["login"].Success)
            {
                // Only our own password counts: a 'Login incorrect' before it came from an earlier
                // session's attempt or from the empty name below.
                if (sentPassword) throw new SessionAuthenticationException(session.Name, userName, "the guest answered 'Login incorrect'");
                await session.SendLineAsync(userName, ct).ConfigureAwait(false);
                sentUser = true;
                continue;
            }
            if (match.Groups["password"].Success)
            {
                if (!sentUser)
                {
                    // A password prompt for a name we did not type: our first Enter, read as an empty
                    // name by a login program that (unlike getty) does not ask again for it. An empty
                    // password brings its login prompt back.
                    await session.SendLineAsync("", ct).ConfigureAwait(false);
                    continue;
                }
                if (password is null) throw new SessionAuthenticationException(session.Name, userName, "the guest asks for a password and none was given");
                if (sentPassword) throw new SessionAuthenticationException(session.Name, userName, "the guest asked for the password again");
                // busybox login turns echo off just after printing the prompt: a password sent
                // at once can be echoed, and then it would be in the console log. Let it settle.
                await Task.Delay(PasswordSettle, ct).ConfigureAwait(false);
                await session.SendAsync(password + "\n", ct).ConfigureAwait(false);
                sentPassword = true;
            }
        }
    }
}
