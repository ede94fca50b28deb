namespace VirtTest.Core.Backends.Xen;

/// <summary>
/// The xl commands the backend runs, over an <see cref="IXlRunner"/>: a non-zero exit
/// becomes a <see cref="XenToolstackException"/> with xl's stderr and the host, and "no such
/// domain" can be told apart (a domain that is already gone).
/// </summary>
internal sealed class XlToolstack
{
    public static readonly TimeSpan CommandTimeout = TimeSpan.FromSeconds(60);

    public XlToolstack(IXlRunner runner) => Runner = runner;

    public IXlRunner Runner { get; }

    /// <summary>The host for messages: null when xl runs on this machine.</summary>
    public string? Host => Runner.RemoteHost;

    /// <summary>Runs xl and returns stdout; throws on a non-zero exit code.</summary>
    public async Task<string> RunAsync(IReadOnlyList<string> args, CancellationToken ct, TimeSpan? timeout = null)
    {
        var result = await Runner.RunAsync(args, timeout ?? CommandTimeout, ct).ConfigureAwait(false);
        if (result.ExitCode != 0) throw Failed(args, result);
        return result.Stdout;
    }

    /// <summary>Runs xl; returns false (instead of throwing) when xl says the domain does not exist.</summary>
    public async Task<(bool Exists, string Stdout)> RunOnDomainAsync(IReadOnlyList<string> args, CancellationToken ct, TimeSpan? timeout = null)
    {
        var result = await Runner.RunAsync(args, timeout ?? CommandTimeout, ct).ConfigureAwait(false);
        if (result.ExitCode == 0) return (true, result.Stdout);
        if (IsNoSuchDomain(result.Stderr)) return (false, result.Stdout);
        throw Failed(args, result);
    }

    public XenToolstackException Failed(IReadOnlyList<string> args, XlResult result) =>
        new(args, result.ExitCode, result.Stderr, host: Host);

    /// <summary>xl's message for a name or id that matches no domain ("NAME is an invalid domain identifier (rc=-6)").</summary>
    public static bool IsNoSuchDomain(string stderr) =>
        stderr.Contains("invalid domain identifier", StringComparison.OrdinalIgnoreCase)
        || stderr.Contains("Non-existant domain", StringComparison.OrdinalIgnoreCase)
        || stderr.Contains("Non-existent domain", StringComparison.OrdinalIgnoreCase);
}
