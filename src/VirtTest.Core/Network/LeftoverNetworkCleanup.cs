using VirtTest.Core.Vm;

namespace VirtTest.Core.Network;

/// <summary>
/// Removes what crashed VirtTest runs left: the ledger's objects whose creating process is
/// gone (their taps and veth ends, then their namespaces with the processes still in them,
/// i.e. their dnsmasq, and the namespaces' runtime folders). Only objects in the ledger whose
/// names carry <see cref="InterfaceName.Prefix"/> are touched. Runs once per process before
/// the first test network is made, and on demand.
/// </summary>
public static class LeftoverNetworkCleanup
{
    private static readonly SemaphoreSlim Gate = new(1, 1);
    private static bool _done;

    /// <summary>Cleans up once per process (later calls return at once).</summary>
    public static async Task RunOnceAsync(CancellationToken ct = default)
    {
        if (_done) return;
        await Gate.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            if (_done) return;
            await RunAsync(null, ct).ConfigureAwait(false);
            _done = true;
        }
        finally
        {
            Gate.Release();
        }
    }

    /// <summary>
    /// Deletes every orphaned object of the ledger and returns the entries it removed. An
    /// object that cannot be removed now stays in the ledger for the next attempt (and in
    /// the leftover check's report); the others are still handled.
    /// </summary>
    public static async Task<IReadOnlyList<NetworkObjectEntry>> RunAsync(NetworkObjectLedger? ledger = null, CancellationToken ct = default)
    {
        ledger ??= NetworkObjectLedger.Default;
        var orphans = ledger.Orphans().Where(e => InterfaceName.IsOwn(e.Name)).ToList();
        var removed = new List<NetworkObjectEntry>();
        // Links first: a host-side veth end or tap outlives its peer's namespace.
        foreach (var link in orphans.Where(e => e.Kind == NetworkObjectKind.Link))
        {
            try
            {
                await NetworkLink.DeleteAsync(link.Name, link.NetworkNamespace, ct).ConfigureAwait(false);
            }
            catch (NetworkObjectNotFoundException)
            {
                // Its namespace is gone, and the link with it.
            }
            catch (NetworkException)
            {
                continue;
            }
            ledger.Forget(NetworkObjectKind.Link, link.Name);
            removed.Add(link);
        }
        foreach (var ns in orphans.Where(e => e.Kind == NetworkObjectKind.Namespace))
        {
            try
            {
                await NetworkNamespace.DeleteAsync(ns.Name, ledger, ct).ConfigureAwait(false);
                var folder = Path.Combine(RuntimeDirectory.Root, ns.Name);
                if (Directory.Exists(folder)) Directory.Delete(folder, recursive: true);
                removed.Add(ns);
            }
            catch (Exception ex) when (ex is NetworkException or IOException or UnauthorizedAccessException)
            {
                // Left for the next attempt.
            }
        }
        return removed;
    }
}
