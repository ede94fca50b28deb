using System.Collections.Concurrent;

namespace VirtTest.Core.Session;

/// <summary>
/// The sessions open in this process, so that removing a VM (or ending the process) closes
/// the sessions to it instead of leaving sockets behind.
/// </summary>
public sealed class SessionRegistry
{
    private readonly ConcurrentDictionary<GuestSession, byte> _sessions = new();

    public static SessionRegistry Default { get; } = new();

    public void Add(GuestSession session) => _sessions[session] = 0;

    public void Remove(GuestSession session) => _sessions.TryRemove(session, out _);

    public IReadOnlyList<GuestSession> All => _sessions.Keys.OrderBy(s => s.OpenedAt).ToList();

    /// <summary>Closes and forgets every session to the named VM.</summary>
    public async Task CloseForVmAsync(string vmName)
    {
        foreach (var s in _sessions.Keys.Where(s => string.Equals(s.VmName, vmName, StringComparison.OrdinalIgnoreCase)).ToList())
        {
            Remove(s);
            await s.DisposeAsync().ConfigureAwait(false);
        }
    }
}
