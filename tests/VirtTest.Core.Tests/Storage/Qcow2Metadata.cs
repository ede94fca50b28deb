using System.Buffers.Binary;

namespace VirtTest.Core.Tests.Storage;

/// <summary>
/// Reads and damages a qcow2 file's metadata at known offsets (qcow2 spec: header fields at
/// fixed offsets, big-endian; the refcount table points to refcount blocks of 16-bit counts,
/// one per cluster), so a test can make an image corrupt or leaking on purpose.
/// </summary>
internal sealed class Qcow2Metadata
{
    private readonly string _file;

    public Qcow2Metadata(string file)
    {
        _file = file;
        var header = new byte[104];
        using (var s = System.IO.File.OpenRead(file)) s.ReadExactly(header);
        Assert.Equal(0x514649fbu, BinaryPrimitives.ReadUInt32BigEndian(header)); // "QFI\xfb"
        ClusterBits = (int)BinaryPrimitives.ReadUInt32BigEndian(header.AsSpan(20));
        L1TableOffset = (long)BinaryPrimitives.ReadUInt64BigEndian(header.AsSpan(40));
        RefcountTableOffset = (long)BinaryPrimitives.ReadUInt64BigEndian(header.AsSpan(48));
        // Version 3 headers say the refcount width (order 4 = 16 bits, the default).
        Assert.Equal(4u, BinaryPrimitives.ReadUInt32BigEndian(header.AsSpan(96)));
        var entry = new byte[8];
        using (var s = System.IO.File.OpenRead(file))
        {
            s.Position = RefcountTableOffset;
            s.ReadExactly(entry);
        }
        FirstRefcountBlock = (long)BinaryPrimitives.ReadUInt64BigEndian(entry);
    }

    public int ClusterBits { get; }
    public long ClusterSize => 1L << ClusterBits;
    public long L1TableOffset { get; }
    public long RefcountTableOffset { get; }
    public long FirstRefcountBlock { get; }

    /// <summary>The cluster holding the L1 table: referenced once, so a refcount of 0 is a corruption.</summary>
    public long L1Cluster => L1TableOffset >> ClusterBits;

    public ushort Refcount(long cluster)
    {
        var b = new byte[2];
        using var s = System.IO.File.OpenRead(_file);
        s.Position = FirstRefcountBlock + 2 * cluster;
        s.ReadExactly(b);
        return BinaryPrimitives.ReadUInt16BigEndian(b);
    }

    public void SetRefcount(long cluster, ushort value)
    {
        var b = new byte[2];
        BinaryPrimitives.WriteUInt16BigEndian(b, value);
        using var s = new FileStream(_file, FileMode.Open, FileAccess.Write);
        s.Position = FirstRefcountBlock + 2 * cluster;
        s.Write(b);
    }

    /// <summary>Appends one cluster that nothing references and counts it as used: a leaked cluster.</summary>
    public void LeakOneCluster()
    {
        long cluster;
        using (var s = new FileStream(_file, FileMode.Open, FileAccess.ReadWrite))
        {
            var end = (s.Length + ClusterSize - 1) / ClusterSize * ClusterSize;
            cluster = end / ClusterSize;
            s.SetLength(end + ClusterSize);
        }
        Assert.Equal(0, Refcount(cluster));
        SetRefcount(cluster, 1);
    }
}
