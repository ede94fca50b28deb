using System.Text.Json.Nodes;

namespace VirtTest.Core.Monitor;

/// <summary>
/// Reads QMP's <c>query-pci</c> reply into <see cref="PciDevice"/>s. Neutral so that every
/// backend that can reach a QEMU monitor (QEMU itself, libvirt's monitor pass-through) shares it.
/// </summary>
public static class QmpPciList
{
    /// <summary>Flattens query-pci's buses (and the buses behind bridges) into a list of functions.</summary>
    public static IReadOnlyList<PciDevice> Parse(JsonNode? reply)
    {
        var result = new List<PciDevice>();
        if (reply is not JsonArray buses) return result;
        foreach (var bus in buses.OfType<JsonObject>()) AddDevices(bus["devices"] as JsonArray, result);
        return result;
    }

    private static void AddDevices(JsonArray? devices, List<PciDevice> into)
    {
        if (devices is null) return;
        foreach (var d in devices.OfType<JsonObject>())
        {
            var classInfo = d["class_info"] as JsonObject;
            var id = d["id"] as JsonObject;
            into.Add(new PciDevice
            {
                Bus = Int(d["bus"]),
                Slot = Int(d["slot"]),
                Function = Int(d["function"]),
                VendorId = Int(id?["vendor"]),
                DeviceId = Int(id?["device"]),
                ClassCode = Int(classInfo?["class"]),
                ClassDescription = classInfo?["desc"]?.GetValue<string>(),
                QdevId = d["qdev_id"]?.GetValue<string>() ?? "",
            });
            if (d["pci_bridge"] is JsonObject bridge) AddDevices(bridge["devices"] as JsonArray, into);
        }
    }

    private static int Int(JsonNode? node) => node is JsonValue v && v.TryGetValue<int>(out var i) ? i : 0;
}
