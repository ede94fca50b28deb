using System.Globalization;
using VirtTest.Core.Vm;

namespace VirtTest.Core.Network;

/// <summary>
/// Where one NIC attaches and how, read and checked from its params (established names:
/// <c>nettype</c>, <c>netdst</c>, <c>queues</c>, <c>vhost</c>; and <c>netdst_netns</c>, the
/// network namespace the bridge <c>netdst</c> lives in, unset for the host's).
/// </summary>
/// <param name="Nic">The NIC's name in <c>nics</c>.</param>
/// <param name="NetType"><c>user</c> (default), <c>bridge</c>, <c>network</c> (a libvirt network) or <c>none</c>.</param>
/// <param name="NetDst">The bridge (or libvirt network) to attach to; set for bridge and network.</param>
/// <param name="NetDstNamespace">The namespace of the bridge; null for the host's.</param>
/// <param name="Queues">Queue pairs (a multi-queue tap and virtio-net <c>mq</c> when more than 1).</param>
/// <param name="Vhost">vhost-net on or off; null for the hypervisor's default.</param>
public sealed record NicAttachment(string Nic, string NetType, string? NetDst, string? NetDstNamespace, int Queues, bool? Vhost)
{
    public static readonly IReadOnlyList<string> NetTypes = new[] { "user", "bridge", "network", "none" };

    /// <summary>Reads one NIC; a bad value is a <see cref="VmParamException"/> naming the VM, the param and the NIC.</summary>
    public static NicAttachment Read(string vmName, VmNic nic)
    {
        ArgumentNullException.ThrowIfNull(nic);
        var netType = nic.NetType ?? "user";
        if (!NetTypes.Contains(netType)) throw new VmParamException(vmName, "nettype_" + nic.Name, netType, "not a network type", NetTypes);
        var queuesText = nic.Params.Get("queues") is { Length: > 0 } q ? q : "1";
        if (!int.TryParse(queuesText, NumberStyles.None, CultureInfo.InvariantCulture, out var queues) || queues < 1)
            throw new VmParamException(vmName, "queues_" + nic.Name, queuesText, "not a positive whole number");
        bool? vhost = nic.Params.Get("vhost") switch
        {
            null or "" => null,
            "on" => true,
            "off" => false,
            var v => throw new VmParamException(vmName, "vhost_" + nic.Name, v, "not on or off", new[] { "on", "off" }),
        };
        if (netType is "bridge" or "network" && nic.NetDst is null)
            throw new VmParamException(vmName, "netdst_" + nic.Name, "", $"nettype = {netType} needs netdst (the {(netType == "bridge" ? "bridge" : "libvirt network")} to attach to)");
        if (nic.Mac is { } mac)
        {
            try { Resources.MacAddressPool.Normalize(mac); }
            catch (ArgumentException) { throw new VmParamException(vmName, "mac_" + nic.Name, mac, "not a MAC address (six hex octets separated by ':')"); }
        }
        return new NicAttachment(nic.Name, netType, nic.NetDst, nic.NetDstNamespace, queues, vhost);
    }

    /// <summary>Every NIC of a VM's params.</summary>
    public static IReadOnlyList<NicAttachment> ReadAll(VmParamsReader read) => read.Nics.Select(n => Read(read.VmName, n)).ToList();
}
