using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using VirtTest.Core.Resources;

namespace VirtTest.Core.Session;

/// <summary>What a known-hosts file says about an offered host key.</summary>
public enum SshKnownHostStatus
{
    /// <summary>No line names the host.</summary>
    Unknown,
    /// <summary>A line names the host with this very key.</summary>
    Known,
    /// <summary>Lines name the host, but none with this key.</summary>
    Changed,
    /// <summary>The key is marked <c>@revoked</c>.</summary>
    Revoked,
}

/// <summary>The verdict on one host key, with fingerprints for messages.</summary>
public sealed record SshHostKeyCheck(SshKnownHostStatus Status, string OfferedFingerprint, IReadOnlyList<string> KnownFingerprints, bool Recorded);

/// <summary>
/// An OpenSSH known-hosts file (<c>~/.ssh/known_hosts</c> format), typically one per run.
/// Lines are <c>host-patterns key-type base64-key [comment]</c>; a port other than 22 is
/// written <c>[host]:port</c>. Reading understands comma-separated patterns, <c>*</c>/<c>?</c>
/// wildcards, <c>!</c> negation, hashed names (<c>|1|salt|hash</c>), and the <c>@revoked</c>
/// marker (<c>@cert-authority</c> lines are ignored: certificates are not supported).
/// New keys are appended in plain form. Checking and recording happen under a cross-process
/// lock (<c>&lt;file&gt;.lock</c>), so parallel sessions of one run share the file safely.
/// </summary>
/// <remarks>
/// A host counts as known when any line names it, whatever the key type: a host that shows
/// a key of another type than the one recorded is treated as changed (the file is written
/// by VirtTest's own client, which always negotiates the same type with the same server).
/// </remarks>
public sealed class SshKnownHosts
{
    public SshKnownHosts(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        Path = System.IO.Path.GetFullPath(path);
    }

    public string Path { get; }

    /// <summary>The name a known-hosts line uses: "host" on port 22, "[host]:port" otherwise.</summary>
    public static string HostEntryName(string host, int port)
    {
        var h = host.Trim().ToLowerInvariant();
        return port == 22 ? h : $"[{h}]:{port}";
    }

    /// <summary>"type SHA256:base64" of an SSH public key blob (OpenSSH's fingerprint form).</summary>
    public static string Fingerprint(byte[] keyBlob) =>
        $"{KeyType(keyBlob)} SHA256:{Convert.ToBase64String(SHA256.HashData(keyBlob)).TrimEnd('=')}";

    /// <summary>The key type written at the start of an SSH public key blob, e.g. "ssh-ed25519".</summary>
    public static string KeyType(byte[] keyBlob)
    {
        if (keyBlob.Length >= 4)
        {
            var len = BinaryPrimitives.ReadUInt32BigEndian(keyBlob);
            if (len > 0 && len <= 64 && 4 + len <= keyBlob.Length) return Encoding.ASCII.GetString(keyBlob, 4, (int)len);
        }
        return "unknown-key-type";
    }

    /// <summary>Looks the key up (reading the file under its lock).</summary>
    public SshHostKeyCheck Check(string host, int port, byte[] keyBlob)
    {
        using var _ = CrossProcessLock.Acquire(Path + ".lock");
        return Lookup(host, port, keyBlob);
    }

    /// <summary>
    /// Checks the key and, when the host is unknown and <paramref name="recordUnknown"/> is set,
    /// appends it — both under one lock, so two sessions never record different keys for one host.
    /// </summary>
    public SshHostKeyCheck CheckAndRecord(string host, int port, byte[] keyBlob, bool recordUnknown)
    {
        using var _ = CrossProcessLock.Acquire(Path + ".lock");
        var check = Lookup(host, port, keyBlob);
        if (check.Status != SshKnownHostStatus.Unknown || !recordUnknown) return check;
        Append(host, port, keyBlob);
        return check with { Recorded = true };
    }

    /// <summary>Appends a line for the host and key.</summary>
    public void Add(string host, int port, byte[] keyBlob)
    {
        using var _ = CrossProcessLock.Acquire(Path + ".lock");
        Append(host, port, keyBlob);
    }

    /// <summary>Removes the plain lines that name exactly this host (e.g. before a port is reused for another VM). Returns how many.</summary>
    public int Remove(string host, int port)
    {
        using var _ = CrossProcessLock.Acquire(Path + ".lock");
        if (!File.Exists(Path)) return 0;
        var name = HostEntryName(host, port);
        var kept = new List<string>();
        var removed = 0;
        foreach (var line in File.ReadAllLines(Path))
        {
            var e = Parse(line);
            if (e is not null && e.Marker is null && e.Patterns.Split(',').Any(p => string.Equals(p, name, StringComparison.OrdinalIgnoreCase))) removed++;
            else kept.Add(line);
        }
        if (removed > 0)
        {
            var temp = Path + ".tmp";
            File.WriteAllLines(temp, kept);
            File.Move(temp, Path, overwrite: true);
        }
        return removed;
    }

    private void Append(string host, int port, byte[] keyBlob)
    {
        var dir = System.IO.Path.GetDirectoryName(Path);
        if (!string.IsNullOrEmpty(dir)) Directory.CreateDirectory(dir);
        var line = $"{HostEntryName(host, port)} {KeyType(keyBlob)} {Convert.ToBase64String(keyBlob)}\n";
        // Start on a fresh line if someone left the file without a final newline.
        if (File.Exists(Path) && new FileInfo(Path).Length > 0)
        {
            using var r = new FileStream(Path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
            r.Seek(-1, SeekOrigin.End);
            if (r.ReadByte() != '\n') line = "\n" + line;
        }
        File.AppendAllText(Path, line, new UTF8Encoding(false));
    }

    private SshHostKeyCheck Lookup(string host, int port, byte[] keyBlob)
    {
        var offered = Fingerprint(keyBlob);
        var known = new List<string>();
        var match = false;
        var revoked = false;
        if (File.Exists(Path))
        {
            var name = HostEntryName(host, port);
            foreach (var line in File.ReadLines(Path))
            {
                var e = Parse(line);
                if (e is null) continue;
                if (e.Marker == "@revoked")
                {
                    if (e.Key.AsSpan().SequenceEqual(keyBlob) && Matches(e.Patterns, name)) revoked = true;
                    continue;
                }
                if (e.Marker is not null || !Matches(e.Patterns, name)) continue;
                if (e.Key.AsSpan().SequenceEqual(keyBlob)) match = true;
                else known.Add(Fingerprint(e.Key));
            }
        }
        var status = revoked ? SshKnownHostStatus.Revoked
            : match ? SshKnownHostStatus.Known
            : known.Count > 0 ? SshKnownHostStatus.Changed
            : SshKnownHostStatus.Unknown;
        return new SshHostKeyCheck(status, offered, known.Distinct().ToList(), Recorded: false);
    }

    private sealed record Entry(string? Marker, string Patterns, byte[] Key);

    private static Entry? Parse(string line)
    {
        var t = line.Trim();
        if (t.Length == 0 || t[0] == '#') return null;
        var f = t.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
        string? marker = null;
        var i = 0;
        if (f[0].StartsWith('@'))
        {
            marker = f[0].ToLowerInvariant();
            i = 1;
        }
        if (f.Length < i + 3) return null;
        try
        {
            return new Entry(marker, f[i], Convert.FromBase64String(f[i + 2]));
        }
        catch (FormatException)
        {
            return null;
        }
    }

    /// <summary>OpenSSH pattern-list semantics: a negated match rules the line out; otherwise any positive match.</summary>
    internal static bool Matches(string patterns, string name)
    {
        if (patterns.StartsWith("|1|", StringComparison.Ordinal)) return HashedMatches(patterns, name);
        var positive = false;
        foreach (var raw in patterns.Split(','))
        {
            if (raw.Length == 0) continue;
            var negate = raw[0] == '!';
            var p = negate ? raw[1..] : raw;
            if (!Wildcard(p.ToLowerInvariant(), name)) continue;
            if (negate) return false;
            positive = true;
        }
        return positive;
    }

    private static bool HashedMatches(string entry, string name)
    {
        var parts = entry.Split('|');
        if (parts.Length != 4) return false;
        try
        {
            var salt = Convert.FromBase64String(parts[2]);
            var hash = Convert.FromBase64String(parts[3]);
            return CryptographicOperations.FixedTimeEquals(HMACSHA1.HashData(salt, Encoding.UTF8.GetBytes(name)), hash);
        }
        catch (FormatException)
        {
            return false;
        }
    }

    private static bool Wildcard(string pattern, string text)
    {
        int p = 0, t = 0, star = -1, mark = 0;
        while (t < text.Length)
        {
            if (p < pattern.Length && (pattern[p] == '?' || pattern[p] == text[t])) { p++; t++; }
            else if (p < pattern.Length && pattern[p] == '*') { star = p++; mark = t; }
            else if (star >= 0) { p = star + 1; t = ++mark; }
            else return false;
        }
        while (p < pattern.Length && pattern[p] == '*') p++;
        return p == pattern.Length;
    }
}
