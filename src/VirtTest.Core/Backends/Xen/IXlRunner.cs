namespace VirtTest.Core.Backends.Xen;

/// <summary>What one finished <c>xl</c> invocation returned.</summary>
public sealed record XlResult(int ExitCode, string Stdout, string Stderr);

/// <summary>
/// Runs the <c>xl</c> toolstack. Every invocation of the Xen backend goes through this one
/// interface as an argument list (never a shell string), so tests can record the command
/// lines without a Xen host and the real implementation stays small.
/// </summary>
public interface IXlRunner
{
    /// <summary>
    /// Runs <c>xl</c> with these arguments and returns its exit code and output. Fails with
    /// <see cref="XenToolstackNotFoundException"/> when xl is not installed and with
    /// <see cref="XenToolstackException"/> when it does not finish within <paramref name="timeout"/>.
    /// A non-zero exit code is returned, not thrown: callers decide what it means.
    /// </summary>
    Task<XlResult> RunAsync(IReadOnlyList<string> arguments, TimeSpan timeout, CancellationToken ct);

    /// <summary>
    /// Starts a long-running <c>xl</c> (e.g. <c>xl console</c>) whose stdout is read and
    /// stdin written through the returned stream; disposing the stream ends the process.
    /// </summary>
    Stream Open(IReadOnlyList<string> arguments);
}
