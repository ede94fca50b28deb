using System.Security.Cryptography;
using System.Text;

namespace VirtTest.Core.Network;

/// <summary>
/// Names of the network objects VirtTest creates, and the rules Linux puts on interface
/// names. Every object VirtTest creates starts with <see cref="Prefix"/>, so leftover
/// checks and cleanups touch only VirtTest's own objects, never another tool's.
/// </summary>
public static class InterfaceName
{
    /// <summary>Linux keeps interface names in IFNAMSIZ (16) bytes with the terminating NUL.</summary>
    public const int MaxLength = 15;

    /// <summary>The start of every namespace, bridge, veth and tap name VirtTest creates.</summary>
    public const string Prefix = "vtn";

    /// <summary>Letters of the random ids in names (lower case and digits: readable, shell-safe).</summary>
    private const string IdAlphabet = "abcdefghijklmnopqrstuvwxyz0123456789";

    /// <summary>
    /// Throws <see cref="InterfaceNameException"/> unless Linux accepts <paramref name="name"/>
    /// as an interface name: 1 to 15 bytes, not "." or "..", no '/', ':' or white space.
    /// </summary>
    public static string Validate(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (name.Length == 0) throw new InterfaceNameException(name, "it is empty");
        var bytes = Encoding.UTF8.GetByteCount(name);
        if (bytes > MaxLength)
            throw new InterfaceNameException(name, $"it is {bytes} bytes long and Linux allows at most {MaxLength} (IFNAMSIZ - 1)");
        if (name is "." or "..") throw new InterfaceNameException(name, "'.' and '..' are reserved");
        foreach (var c in name)
        {
            if (c is '/' or ':' || char.IsWhiteSpace(c) || char.IsControl(c))
                throw new InterfaceNameException(name, $"it contains '{(char.IsControl(c) || char.IsWhiteSpace(c) ? $"\\u{(int)c:x4}" : c.ToString())}' (no '/', ':' or white space)");
        }
        return name;
    }

    /// <summary>True when the name is one VirtTest's network code creates.</summary>
    public static bool IsOwn(string name) => name.StartsWith(Prefix, StringComparison.Ordinal);

    /// <summary>A random id of <paramref name="length"/> lower-case letters and digits.</summary>
    public static string NewId(int length)
    {
        var chars = new char[length];
        for (var i = 0; i < length; i++) chars[i] = IdAlphabet[RandomNumberGenerator.GetInt32(IdAlphabet.Length)];
        return new string(chars);
    }

    /// <summary>
    /// The name of a tap for NIC <paramref name="nic"/> of VM <paramref name="vm"/>:
    /// <c>vtn</c>, a 2-character id that makes it unique on the host, then the VM and NIC
    /// names, shortened to fit 15 bytes (trailing digits are kept: vm12/nic3 stays
    /// recognisable). Example: <c>vtnk3-vm1-nic1</c>.
    /// </summary>
    public static string ForTap(string vm, string nic, string id)
    {
        ArgumentException.ThrowIfNullOrEmpty(vm);
        ArgumentException.ThrowIfNullOrEmpty(nic);
        if (id.Length != 2 || id.Any(c => !IdAlphabet.Contains(c)))
            throw new ArgumentException($"'{id}' is not a 2-character tap id.", nameof(id));
        var head = Prefix + id + "-";
        var budget = MaxLength - head.Length - 1; // the '-' between VM and NIC
        var v = Clean(vm);
        var n = Clean(nic);
        if (v.Length + n.Length > budget)
        {
            var nicRoom = Math.Min(n.Length, Math.Max(budget / 2, budget - v.Length));
            n = Shorten(n, nicRoom);
            v = Shorten(v, budget - n.Length);
        }
        return Validate(head + v + "-" + n);
    }

    private static string Clean(string s)
    {
        var sb = new StringBuilder(s.Length);
        foreach (var c in s.ToLowerInvariant())
            if (char.IsAsciiLetterOrDigit(c) || c == '_') sb.Append(c);
        return sb.Length == 0 ? "x" : sb.ToString();
    }

    /// <summary>Cuts <paramref name="s"/> to <paramref name="room"/> characters, keeping its trailing digits.</summary>
    private static string Shorten(string s, int room)
    {
        if (s.Length <= room) return s;
        if (room <= 0) return "";
        var digits = s.Length - s.TrimEnd("0123456789".ToCharArray()).Length;
        var keep = Math.Min(digits, room - 1);
        if (keep <= 0) return s[..room];
        return s[..(room - keep)] + s[^keep..];
    }
}
