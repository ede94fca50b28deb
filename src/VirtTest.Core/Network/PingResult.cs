using System.Globalization;
using System.Text.RegularExpressions;

namespace VirtTest.Core.Network;

/// <summary>
/// The outcome of one ping run: how many echo requests went out and came back.
/// </summary>
/// <param name="Source">Where ping ran: "host", "namespace NAME", or a session's name.</param>
/// <param name="Target">The address pinged.</param>
/// <param name="Transmitted">Echo requests sent.</param>
/// <param name="Received">Replies received.</param>
/// <param name="LossPercent">Lost requests in percent, as ping reports it.</param>
/// <param name="AverageRttMs">Average round trip in milliseconds; null when nothing came back.</param>
/// <param name="Output">What ping printed.</param>
public sealed record PingResult(string Source, string Target, int Transmitted, int Received, double LossPercent, double? AverageRttMs, string Output)
{
    /// <summary>At least one reply came back.</summary>
    public bool Succeeded => Received > 0;

    private static readonly Regex Summary = new(
        @"(\d+) packets transmitted, (\d+) (?:packets )?received(?:, \+\d+ (?:errors|duplicates))*, ([\d.]+)% packet loss",
        RegexOptions.CultureInvariant);
    private static readonly Regex Rtt = new(@"(?:rtt|round-trip) min/avg/max(?:/mdev)? = [\d.]+/([\d.]+)/", RegexOptions.CultureInvariant);

    /// <summary>
    /// Reads the summary iputils' or busybox's ping prints; null when there is none (ping did
    /// not get to send: unknown host, no route, bad option).
    /// </summary>
    public static PingResult? Parse(string source, string target, string output)
    {
        var m = Summary.Match(output);
        if (!m.Success) return null;
        var rtt = Rtt.Match(output);
        return new PingResult(source, target,
            int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture),
            int.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture),
            double.Parse(m.Groups[3].Value, CultureInfo.InvariantCulture),
            rtt.Success ? double.Parse(rtt.Groups[1].Value, CultureInfo.InvariantCulture) : null,
            output);
    }

    public override string ToString() =>
        $"{Source} -> {Target}: {Received}/{Transmitted} replies, {LossPercent.ToString("0.#", CultureInfo.InvariantCulture)}% loss";
}
