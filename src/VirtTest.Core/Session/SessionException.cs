namespace VirtTest.Core.Session;

/// <summary>A guest session could not do what was asked.</summary>
public class SessionException : VirtTestException
{
    /// <inheritdoc />
    public override string ErrorId => "Session";

    /// <inheritdoc />
    public override VirtErrorCategory Category => VirtErrorCategory.InvalidOperation;

    public SessionException(string session, string message, Exception? inner = null) : base(message, inner) => Session = session;

    /// <summary>The session's name, e.g. "vm1 serial".</summary>
    public string Session { get; }
}

/// <summary>A shell command ended with a non-zero exit status.</summary>
public sealed class ShellCommandError : SessionException
{
    /// <inheritdoc />
    public override string ErrorId => "ShellCommand";

    /// <inheritdoc />
    public override VirtErrorCategory Category => VirtErrorCategory.NotSpecified;

    public ShellCommandError(string session, string command, int exitStatus, string output)
        : base(session, $"Command '{command}' on {session} failed with exit status {exitStatus}: {Shorten(output)}")
    {
        Command = command;
        ExitStatus = exitStatus;
        Output = output;
    }

    public string Command { get; }
    public int ExitStatus { get; }
    public string Output { get; }

    private static string Shorten(string s)
    {
        var t = s.Trim();
        return t.Length == 0 ? "(no output)" : t.Length > 400 ? t[..400] + "..." : t;
    }
}

/// <summary>An expected output did not come within the deadline. Carries what did come.</summary>
public sealed class SessionTimeoutException : SessionException
{
    /// <inheritdoc />
    public override string ErrorId => "SessionTimeout";

    /// <inheritdoc />
    public override VirtErrorCategory Category => VirtErrorCategory.OperationTimeout;

    public SessionTimeoutException(string session, string what, TimeSpan timeout, string received)
        : base(session, $"Timed out after {timeout.TotalSeconds:0.#} s on {session} waiting for {what}. Last output: {Tail(received)}")
    {
        Timeout = timeout;
        Received = received;
    }

    public TimeSpan Timeout { get; }
    /// <summary>Text received while waiting (cleaned).</summary>
    public string Received { get; }

    internal static string Tail(string s)
    {
        var t = s.Trim();
        return t.Length == 0 ? "(nothing)" : t.Length > 300 ? "..." + t[^300..] : t;
    }
}

/// <summary>The connection to the guest is closed or was lost (guest or server gone).</summary>
public sealed class SessionClosedException : SessionException
{
    /// <inheritdoc />
    public override string ErrorId => "SessionClosed";

    /// <inheritdoc />
    public override VirtErrorCategory Category => VirtErrorCategory.ConnectionError;

    public SessionClosedException(string session, string message, Exception? inner = null) : base(session, message, inner) { }
}

/// <summary>Login was refused: wrong user name, password or key. The message never contains the password.</summary>
public sealed class SessionAuthenticationException : SessionException
{
    /// <inheritdoc />
    public override string ErrorId => "SessionAuthentication";

    /// <inheritdoc />
    public override VirtErrorCategory Category => VirtErrorCategory.AuthenticationError;

    public SessionAuthenticationException(string session, string userName, string detail, Exception? inner = null)
        : base(session, $"Login as '{userName}' on {session} was refused: {detail}", inner) => UserName = userName;

    public string UserName { get; }
}
