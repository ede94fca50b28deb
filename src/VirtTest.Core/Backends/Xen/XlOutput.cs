using System.Globalization;
using System.Text.RegularExpressions;
using VirtTest.Core.Monitor;

namespace VirtTest.Core.Backends.Xen;

/// <summary>Parses what xl prints: the state column of <c>xl list</c>, the table of <c>xl pci-list</c>.</summary>
public static partial class XlOutput
{
    /// <summary>
    /// The State column (six places, e.g. <c>--p---</c>; <see cref="XlDomainState"/> reads it) of the
    /// domain named <paramref name="domainName"/> in <c>xl list</c> output, or null when it is not listed.
    /// </summary>
    public static string? StateFlags(string xlListOutput, string domainName)
    {
        foreach (var raw in xlListOutput.Split('\n'))
        {
            var cols = raw.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
            // Name ID Mem VCPUs State Time(s): read from the right, the name is the rest.
            if (cols.Length < 6 || cols[0] == "Name") continue;
            var name = string.Join(' ', cols[..^5]);
            if (name == domainName) return cols[^2];
        }
        return null;
    }

    /// <summary>
    /// The devices of <c>xl pci-list</c> (header <c>Vdev Device</c>, then lines such as
    /// <c>04.0 0000:03:00.0</c>: the guest slot.function and the host BDF). The host BDF
    /// becomes the device id, since that is what <c>xl pci-detach</c> takes.
    /// </summary>
    public static IReadOnlyList<PciDevice> PciList(string output)
    {
        var result = new List<PciDevice>();
        foreach (var raw in output.Split('\n'))
        {
            var m = PciLineRegex().Match(raw.Trim());
            if (!m.Success) continue;
            result.Add(new PciDevice
            {
                Bus = 0, // xl-pci-configuration(5): in the guest, domain and bus are 0000:00
                Slot = int.Parse(m.Groups[1].Value, NumberStyles.HexNumber, CultureInfo.InvariantCulture),
                Function = int.Parse(m.Groups[2].Value, NumberStyles.HexNumber, CultureInfo.InvariantCulture),
                QdevId = m.Groups[3].Value.ToLowerInvariant(),
            });
        }
        return result;
    }

    /// <summary>A host PCI address (<c>[DDDD:]BB:DD.F</c>) in the full form <c>0000:03:00.0</c>, or null if it is not one.</summary>
    public static string? NormalizeBdf(string text)
    {
        var m = BdfRegex().Match(text.Trim());
        if (!m.Success) return null;
        var domain = m.Groups[1].Success ? m.Groups[1].Value : "0000";
        return $"{domain}:{m.Groups[2].Value}:{m.Groups[3].Value}.{m.Groups[4].Value}".ToLowerInvariant();
    }

    [GeneratedRegex(@"^([0-9a-fA-F]{2})\.([0-7])\s+([0-9a-fA-F]{4}:[0-9a-fA-F]{2}:[0-9a-fA-F]{2}\.[0-7])$")]
    private static partial Regex PciLineRegex();
    [GeneratedRegex(@"^(?:([0-9a-fA-F]{4}):)?([0-9a-fA-F]{2}):([0-9a-fA-F]{2})\.([0-7])$")]
    private static partial Regex BdfRegex();
}
