using System.Globalization;
using System.Security.Cryptography;

namespace VirtTest.Core.Resources;

/// <summary>
/// Hands out unique MAC addresses with a given prefix (default <c>52:54:00</c>, QEMU's),
/// never the same one twice on this host while it is held, even across parallel runs: the
/// reservations live in a state file under a directory shared by all processes
/// (default <c>$TMPDIR/virttest/pools</c>), changed only under a lock file.
/// </summary>
/// <remarks>
/// Addresses are unicast and locally administered: the first octet of the prefix must have
/// bit 0 clear (unicast) and bit 1 set (locally administered), as 0x52 has; with an empty
/// prefix the first octet is chosen with those bits. The free octets are random, so runs that
/// do not share the pool directory are still unlikely to collide. Reservations of a process
/// that is gone are reclaimed. <see cref="Release"/> returns one address;
/// <see cref="Dispose"/> returns every address this pool still holds.
/// </remarks>
public sealed class MacAddressPool : IDisposable
{
    public const string DefaultPrefix = "52:54:00";
    private const string StoreName = "mac-addresses";

    private readonly ReservationStore _store;
    private readonly byte[] _prefix;
    private readonly string _owner = Guid.NewGuid().ToString("N");
    private readonly HashSet<string> _mine = new(StringComparer.Ordinal);
    private readonly object _gate = new();
    private bool _disposed;

    /// <param name="prefix">1 to 5 octets, separated by ':' or '-' (e.g. "52:54:00"), or "" for none.</param>
    /// <param name="directory">The pool directory shared by the processes that must not collide.</param>
    public MacAddressPool(string prefix = DefaultPrefix, string? directory = null)
    {
        _prefix = ParsePrefix(prefix);
        Prefix = string.Join(':', _prefix.Select(b => b.ToString("x2", CultureInfo.InvariantCulture)));
        _store = new ReservationStore(directory ?? ReservationStore.DefaultDirectory, StoreName);
    }

    /// <summary>The prefix, normalized (lower case, colons).</summary>
    public string Prefix { get; }

    public string Directory => _store.Directory;

    /// <summary>How many distinct addresses the prefix leaves.</summary>
    public long Capacity => _prefix.Length == 0 ? 1L << 46 : 1L << (8 * (6 - _prefix.Length));

    /// <summary>The addresses this pool holds now.</summary>
    public IReadOnlyCollection<string> Allocated { get { lock (_gate) return _mine.ToList(); } }

    /// <summary>Reserves a free address, e.g. "52:54:00:3a:0f:c1".</summary>
    /// <exception cref="ResourceException">Every address of the prefix is taken.</exception>
    public string Allocate()
    {
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            var mac = _store.Update(list =>
            {
                var used = list.Select(r => r.Value).ToHashSet(StringComparer.Ordinal);
                var pick = Pick(used);
                if (pick is not null) list.Add(ReservationStore.Mine(pick, _owner));
                return pick;
            });
            if (mac is null)
                throw new ResourceException("MAC address", $"No free MAC address with prefix '{Prefix}' in the pool at {_store.Directory}: all {Capacity} are reserved.");
            _mine.Add(mac);
            return mac;
        }
    }

    /// <summary>Returns an address to the pool. False when this pool did not hold it.</summary>
    public bool Release(string mac)
    {
        var key = Normalize(mac);
        lock (_gate)
        {
            if (!_mine.Remove(key)) return false;
            _store.Update(list => list.RemoveAll(r => r.Value == key && r.Owner == _owner));
            return true;
        }
    }

    /// <summary>Every address reserved on this host (by any process), for diagnostics.</summary>
    public IReadOnlyList<string> ReservedOnHost() =>
        _store.Snapshot().Select(r => r.Value).Where(v => v.StartsWith(Prefix, StringComparison.Ordinal)).ToList();

    private string? Pick(HashSet<string> used)
    {
        var free = 6 - _prefix.Length;
        var mac = new byte[6];
        _prefix.CopyTo(mac, 0);
        if (Capacity <= 65536)
        {
            // Small space: list what is left and pick one of those at random.
            var left = new List<string>();
            for (long n = 0; n < Capacity; n++)
            {
                for (var i = 0; i < free; i++) mac[5 - i] = (byte)(n >> (8 * i));
                var s = Format(mac);
                if (!used.Contains(s)) left.Add(s);
            }
            return left.Count == 0 ? null : left[RandomNumberGenerator.GetInt32(left.Count)];
        }
        for (var attempt = 0; attempt < 100_000; attempt++)
        {
            RandomNumberGenerator.Fill(mac.AsSpan(_prefix.Length));
            if (_prefix.Length == 0) mac[0] = (byte)((mac[0] & 0xFC) | 0x02);
            var s = Format(mac);
            if (!used.Contains(s)) return s;
        }
        return null;
    }

    private static string Format(byte[] mac) => string.Join(':', mac.Select(b => b.ToString("x2", CultureInfo.InvariantCulture)));

    /// <summary>Lower case, colon-separated; accepts '-' separators.</summary>
    public static string Normalize(string mac)
    {
        var bytes = ParseOctets(mac, nameof(mac));
        if (bytes.Length != 6) throw new ArgumentException($"'{mac}' is not a MAC address (six octets).", nameof(mac));
        return Format(bytes);
    }

    private static byte[] ParsePrefix(string prefix)
    {
        ArgumentNullException.ThrowIfNull(prefix);
        var bytes = ParseOctets(prefix, nameof(prefix));
        if (bytes.Length > 5) throw new ArgumentException($"The MAC prefix '{prefix}' has {bytes.Length} octets; at most 5 leave room for addresses.", nameof(prefix));
        if (bytes.Length > 0 && (bytes[0] & 0x01) != 0)
            throw new ArgumentException($"The MAC prefix '{prefix}' is a multicast prefix (bit 0 of the first octet is set).", nameof(prefix));
        if (bytes.Length > 0 && (bytes[0] & 0x02) == 0)
            throw new ArgumentException($"The MAC prefix '{prefix}' is not locally administered (bit 1 of the first octet is clear; e.g. 52:54:00 is).", nameof(prefix));
        return bytes;
    }

    private static byte[] ParseOctets(string text, string param)
    {
        var t = text.Trim();
        if (t.Length == 0) return Array.Empty<byte>();
        var parts = t.Split(':', '-');
        var bytes = new byte[parts.Length];
        for (var i = 0; i < parts.Length; i++)
        {
            if (parts[i].Length is < 1 or > 2 || !byte.TryParse(parts[i], NumberStyles.HexNumber, CultureInfo.InvariantCulture, out bytes[i]))
                throw new ArgumentException($"'{text}' is not a MAC address or prefix (hex octets separated by ':').", param);
        }
        return bytes;
    }

    public void Dispose()
    {
        lock (_gate)
        {
            if (_disposed) return;
            _disposed = true;
            if (_mine.Count == 0) return;
            var mine = _mine.ToHashSet(StringComparer.Ordinal);
            _mine.Clear();
            try
            {
                _store.Update(list => list.RemoveAll(r => r.Owner == _owner && mine.Contains(r.Value)));
            }
            catch (ResourceException)
            {
                // The lock stays busy: the entries are reclaimed once this process exits.
            }
        }
    }
}
