using System.Text;
using VirtTest.Core.Config;

namespace VirtTest.Core.Tests.Config;

/// <summary>The parse cache's file hash: 32 lower-case hex digits of the two 64-bit lanes, high digits first.</summary>
public class ContentHashTests
{
    [Theory]
    [InlineData("")]
    [InlineData("a")]
    [InlineData("exactly8")]
    [InlineData("variants:\n    - one:\n    - two:\n")]
    public void Text_is_both_lanes_in_hex(string content)
    {
        var bytes = Encoding.UTF8.GetBytes(content);
        var (a, b) = ContentHash.Compute(bytes);
        Assert.Equal(a.ToString("x16") + b.ToString("x16"), ContentHash.Of(bytes));
    }

    [Fact]
    public void One_changed_byte_changes_the_hash()
    {
        var bytes = Encoding.UTF8.GetBytes("key = value\nother = 1\n");
        var before = ContentHash.Of(bytes);
        bytes[^2] = (byte)'2';
        Assert.NotEqual(before, ContentHash.Of(bytes));
        Assert.Matches("^[0-9a-f]{32}$", before);
    }

    /// <summary>The hash written the plain way: the length mixed in first, 8-byte words, then the rest as one last word.</summary>
    private static (ulong, ulong) Reference(byte[] data)
    {
        const ulong p1 = 0x9E3779B185EBCA87UL, p2 = 0xC2B2AE3D27D4EB4FUL, p3 = 0x165667B19E3779F9UL, p4 = 0x85EBCA77C2B2AE63UL;
        static ulong Avalanche(ulong h)
        {
            h ^= h >> 33;
            h *= 0xFF51AFD7ED558CCDUL;
            h ^= h >> 33;
            h *= 0xC4CEB9FE1A85EC53UL;
            return h ^ (h >> 33);
        }
        ulong h1 = p1 ^ (ulong)data.Length, h2 = p2 + (ulong)data.Length;
        var words = new List<ulong>();
        for (var i = 0; i < data.Length; i += 8)
        {
            ulong w = 0;
            for (var j = 0; j < 8 && i + j < data.Length; j++) w |= (ulong)data[i + j] << (8 * j);
            words.Add(w);
        }
        if (data.Length % 8 == 0) words.Add(0);   // no bytes short of a word: an empty last word
        foreach (var v in words)
        {
            h1 = System.Numerics.BitOperations.RotateLeft(h1 ^ (v * p2), 31) * p1;
            h2 = System.Numerics.BitOperations.RotateLeft(h2 + (v * p3), 27) * p4 + h1;
        }
        return (Avalanche(h1 ^ (h2 >> 17)), Avalanche(h2 ^ (h1 << 13)));
    }

    /// <summary>A file is hashed a chunk at a time as the parser reads it: any cut into pieces gives the one-piece hash.</summary>
    [Fact]
    public void Pieces_give_the_hash_of_the_whole()
    {
        var rng = new Random(1206);
        for (var round = 0; round < 500; round++)
        {
            var data = new byte[rng.Next(0, 100)];
            rng.NextBytes(data);
            var hasher = new ContentHash.Hasher(data.Length);
            for (var at = 0; at < data.Length;)
            {
                var n = Math.Min(rng.Next(0, 20), data.Length - at);
                hasher.Append(data.AsSpan(at, n));
                at += n;
            }
            Assert.Equal(data.Length, hasher.Length);
            var expected = Reference(data);
            Assert.Equal(expected, hasher.Finish());
            Assert.Equal(expected, ContentHash.Compute(data));
        }
    }
}
