using System.Globalization;
using VirtTest.Core.Config;
using VirtTest.Core.Vm;

namespace VirtTest.Core.Network;

/// <summary>
/// One NIC of a VM as its params describe it (established names, per NIC through the
/// <c>nics</c> object list: <c>nic_model</c>, <c>nettype</c>, <c>netdst</c>, <c>mac</c>,
/// <c>queues</c>, <c>vhost</c>), plus <c>netdst_netns</c>: the network namespace the bridge
/// <c>netdst</c> lives in (unset: the host's).
/// </summary>
/// <param name="Name">The NIC's name in <c>nics</c> (e.g. nic1).</param>
/// <param name="MacAddress">From the <c>mac</c> param (normalized), or null when the backend assigns one.</param>
/// <param name="NetType"><c>user</c> (default), <c>bridge</c>, <c>network</c> (a libvirt network) or <c>none</c>.</param>
/// <param name="NetDst">The bridge (or libvirt network) the NIC attaches to.</param>
/// <param name="NetDstNamespace">The namespace of the bridge; null for the host's.</param>
/// <param name="Queues">Queue pairs (multi-queue tap when more than 1).</param>
/// <param name="Vhost"><c>on</c>, <c>off</c>, or null for the backend's default.</param>
/// <param name="Model">The <c>nic_model</c> param, or null for the backend's default.</param>
public sealed record VmNic(string Name, string? MacAddress, string NetType, string? NetDst, string? NetDstNamespace, int Queues, string? Vhost, string? Model)
{
    public static readonly IReadOnlyList<string> NetTypes = new[] { "user", "bridge", "network", "none" };

    /// <summary>The NICs of a VM's params, in <c>nics</c> order; bad values are <see cref="VmParamException"/>s naming the param.</summary>
    public static IReadOnlyList<VmNic> FromParams(VirtParams vmParams, string vmName)
    {
        ArgumentNullException.ThrowIfNull(vmParams);
        var list = new List<VmNic>();
        foreach (var nic in vmParams.Objects("nics"))
        {
            var p = vmParams.ObjectParams(nic);
            var netType = p.Get("nettype") is { Length: > 0 } t ? t : "user";
            if (!NetTypes.Contains(netType)) throw new VmParamException(vmName, "nettype", netType, $"not a network type (NIC {nic})", NetTypes);
            string? mac = null;
            if (p.Get("mac") is { Length: > 0 } m)
            {
                try { mac = Resources.MacAddressPool.Normalize(m); }
                catch (ArgumentException) { throw new VmParamException(vmName, "mac", m, $"not a MAC address (NIC {nic}; six hex octets separated by ':')"); }
            }
            var queuesText = p.Get("queues") is { Length: > 0 } q ? q : "1";
            if (!int.TryParse(queuesText, NumberStyles.None, CultureInfo.InvariantCulture, out var queues) || queues < 1)
                throw new VmParamException(vmName, "queues", queuesText, $"not a positive whole number (NIC {nic})");
            var vhost = p.Get("vhost") is { Length: > 0 } v ? v : null;
            if (vhost is not null and not ("on" or "off"))
                throw new VmParamException(vmName, "vhost", vhost, $"not on or off (NIC {nic})", new[] { "on", "off" });
            var netDst = p.Get("netdst") is { Length: > 0 } d ? d : null;
            if (netType is "bridge" or "network" && netDst is null)
                throw new VmParamException(vmName, "netdst", "", $"NIC {nic} has nettype = {netType} and needs netdst (the {(netType == "bridge" ? "bridge" : "libvirt network")} to attach to)");
            list.Add(new VmNic(nic, mac, netType, netDst, p.Get("netdst_netns") is { Length: > 0 } ns ? ns : null, queues, vhost,
                p.Get("nic_model") is { Length: > 0 } model ? model : null));
        }
        return list;
    }
}
