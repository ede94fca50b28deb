using System.Globalization;
using System.Net;
using VirtTest.Core.Session;

namespace VirtTest.Core.Network;

/// <summary>How to ping.</summary>
public sealed record PingOptions
{
    /// <summary>Echo requests to send (default 3).</summary>
    public int Count { get; init; } = 3;

    /// <summary>Time between requests (default 0.2 s: ping's minimum for root).</summary>
    public TimeSpan Interval { get; init; } = TimeSpan.FromSeconds(0.2);

    /// <summary>How long to wait for each reply (whole seconds: ping's -W; default 2 s).</summary>
    public int ReplyTimeoutSec { get; init; } = 2;

    internal void Validate()
    {
        if (Count is < 1 or > 10000) throw new ArgumentOutOfRangeException(nameof(Count), Count, "Send 1 to 10000 echo requests.");
        if (Interval < TimeSpan.FromMilliseconds(200) || Interval > TimeSpan.FromMinutes(1))
            throw new ArgumentOutOfRangeException(nameof(Interval), Interval, "The interval is 0.2 s to 60 s.");
        if (ReplyTimeoutSec is < 1 or > 600) throw new ArgumentOutOfRangeException(nameof(ReplyTimeoutSec), ReplyTimeoutSec, "Wait 1 to 600 s for a reply.");
    }

    /// <summary>ping's arguments (the same for iputils and busybox).</summary>
    internal IReadOnlyList<string> Arguments(string target) => new[]
    {
        "-c", Count.ToString(CultureInfo.InvariantCulture),
        "-i", Interval.TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture),
        "-W", ReplyTimeoutSec.ToString(CultureInfo.InvariantCulture),
        target,
    };

    /// <summary>How long a whole run may take before it is given up.</summary>
    internal TimeSpan Deadline => Interval * Count + TimeSpan.FromSeconds(ReplyTimeoutSec + 10);
}

/// <summary>
/// Reachability checks with ping: from the host (or from inside a test network's namespace)
/// to a guest, and from a guest, over a session, to any address, another guest's included.
/// A run that got no reply is a result with 100% loss, not an error; a ping that could not
/// run at all (bad address, no ping in the guest) is a <see cref="NetworkException"/>.
/// </summary>
public static class GuestConnectivity
{
    /// <summary>Pings <paramref name="target"/> from the host, or from inside <paramref name="networkNamespace"/>.</summary>
    public static async Task<PingResult> PingFromHostAsync(IPAddress target, PingOptions? options = null, string? networkNamespace = null, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(target);
        options ??= new PingOptions();
        options.Validate();
        var args = new List<string> { "-n" };
        args.AddRange(options.Arguments(target.ToString()));
        var result = networkNamespace is null
            ? await NetworkTool.RunAsync(NetworkTool.Ping, args, options.Deadline, ct).ConfigureAwait(false)
            : await NetworkNamespace.RunAsync(networkNamespace, NetworkTool.Ping, args, options.Deadline, ct).ConfigureAwait(false);
        var source = networkNamespace is null ? "host" : $"namespace {networkNamespace}";
        var output = (result.StandardOutput + result.StandardError).Trim();
        return PingResult.Parse(source, target.ToString(), output)
            ?? throw new NetworkException(target.ToString(), $"ping from {source} to {target} did not run (exit code {result.ExitCode}): {output}");
    }

    /// <summary>Pings <paramref name="target"/> (an address or name the guest resolves) from the guest of <paramref name="session"/>.</summary>
    public static async Task<PingResult> PingFromGuestAsync(GuestSession session, string target, PingOptions? options = null, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(session);
        ArgumentException.ThrowIfNullOrEmpty(target);
        // The target goes into a shell command line: only address and host-name characters.
        if (target.Any(c => !(char.IsAsciiLetterOrDigit(c) || c is '.' or ':' or '-' or '%' or '_')))
            throw new ArgumentException($"'{target}' is not an IP address or host name.", nameof(target));
        options ??= new PingOptions();
        options.Validate();
        var command = "ping " + string.Join(' ', options.Arguments(target));
        var result = await session.CmdStatusOutputAsync(command, options.Deadline, ct).ConfigureAwait(false);
        return PingResult.Parse(session.Name, target, result.Output)
            ?? throw new NetworkException(target, $"ping from {session.Name} to {target} did not run (exit status {result.ExitCode}): {result.Output.Trim()}");
    }
}
