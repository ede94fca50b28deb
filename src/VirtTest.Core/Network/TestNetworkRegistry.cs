using System.Collections.Concurrent;

namespace VirtTest.Core.Network;

/// <summary>
/// The test networks of this process: address lookups find a NIC's network (and its DHCP
/// leases) here, and every network still open when the process exits is removed.
/// </summary>
public sealed class TestNetworkRegistry
{
    private readonly ConcurrentDictionary<string, TestNetwork> _networks = new(StringComparer.Ordinal);

    public static TestNetworkRegistry Default { get; } = new();

    static TestNetworkRegistry()
    {
        AppDomain.CurrentDomain.ProcessExit += (_, _) => Default.DisposeAll();
    }

    public void Add(TestNetwork network) => _networks[network.Name] = network;

    public bool Remove(TestNetwork network) => _networks.TryRemove(new KeyValuePair<string, TestNetwork>(network.Name, network));

    public IReadOnlyList<TestNetwork> All => _networks.Values.OrderBy(n => n.Name, StringComparer.Ordinal).ToList();

    public TestNetwork? Get(string name) => _networks.TryGetValue(name, out var n) ? n : null;

    /// <summary>The network whose bridge is <paramref name="bridge"/> (in <paramref name="networkNamespace"/> when given).</summary>
    public TestNetwork? FindByBridge(string bridge, string? networkNamespace) =>
        _networks.Values.FirstOrDefault(n => n.Bridge == bridge && (networkNamespace is null || n.Namespace == networkNamespace));

    /// <summary>Removes every network (synchronously: used at process exit).</summary>
    public void DisposeAll()
    {
        foreach (var network in _networks.Values)
        {
            try
            {
                network.Dispose();
            }
            catch (Exception)
            {
                // Best effort at exit: the next run's leftover cleanup finishes the job.
            }
        }
    }
}
