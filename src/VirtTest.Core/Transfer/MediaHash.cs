using System.Security.Cryptography;

namespace VirtTest.Core.Transfer;

/// <summary>
/// The checksums the established <c>cd_hash</c> utility prints for install media: MD5 and SHA1
/// of the first <see cref="PrefixMiB"/> MiB and of the whole file (lower-case hex). When the
/// file is shorter than the prefix, the prefix sums are those of the whole file.
/// </summary>
public sealed record MediaHash(string Path, long Length, int PrefixMiB, string Md5Prefix, string Sha1Prefix, string Md5, string Sha1)
{
    /// <summary>cd_hash's prefix: 1 MiB.</summary>
    public const int DefaultPrefixMiB = 1;
    private const int ChunkSize = 1 << 20;

    /// <summary>Reads the file once, in chunks (it is never held in memory whole).</summary>
    public static async Task<MediaHash> ComputeAsync(string path, int prefixMiB = DefaultPrefixMiB, CancellationToken ct = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(prefixMiB);
        var full = System.IO.Path.GetFullPath(path);
        using var md5 = IncrementalHash.CreateHash(HashAlgorithmName.MD5);
        using var sha1 = IncrementalHash.CreateHash(HashAlgorithmName.SHA1);
        using var md5Prefix = IncrementalHash.CreateHash(HashAlgorithmName.MD5);
        using var sha1Prefix = IncrementalHash.CreateHash(HashAlgorithmName.SHA1);
        var prefixBytes = (long)prefixMiB << 20;
        long length = 0;
        var buffer = new byte[ChunkSize];
        await using (var stream = new FileStream(full, FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.Asynchronous | FileOptions.SequentialScan))
        {
            int n;
            while ((n = await stream.ReadAsync(buffer, ct).ConfigureAwait(false)) > 0)
            {
                md5.AppendData(buffer, 0, n);
                sha1.AppendData(buffer, 0, n);
                if (length < prefixBytes)
                {
                    var take = (int)Math.Min(n, prefixBytes - length);
                    md5Prefix.AppendData(buffer, 0, take);
                    sha1Prefix.AppendData(buffer, 0, take);
                }
                length += n;
            }
        }
        return new MediaHash(full, length, prefixMiB,
            Hex(md5Prefix.GetHashAndReset()), Hex(sha1Prefix.GetHashAndReset()), Hex(md5.GetHashAndReset()), Hex(sha1.GetHashAndReset()));
    }

    public static MediaHash Compute(string path, int prefixMiB = DefaultPrefixMiB) =>
        ComputeAsync(path, prefixMiB).GetAwaiter().GetResult();

    private static string Hex(byte[] hash) => Convert.ToHexString(hash).ToLowerInvariant();
}
