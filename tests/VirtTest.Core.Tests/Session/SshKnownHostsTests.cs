using System.Security.Cryptography;
using System.Text;
using VirtTest.Core.Session;
using Xunit;

namespace VirtTest.Core.Tests.Session;

[Trait("Category", "Ssh")]
public sealed class SshKnownHostsTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("virttest-knownhosts-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static byte[] Key(string type, int seed)
    {
        var t = Encoding.ASCII.GetBytes(type);
        var body = SHA256.HashData(BitConverter.GetBytes(seed));
        var blob = new byte[4 + t.Length + 4 + body.Length];
        blob[3] = (byte)t.Length;
        t.CopyTo(blob, 4);
        blob[4 + t.Length + 3] = (byte)body.Length;
        body.CopyTo(blob, 8 + t.Length);
        return blob;
    }

    [Fact]
    public void RecordsOnceAndTellsKnownUnknownAndChanged()
    {
        var kh = new SshKnownHosts(Path.Combine(_dir, "a", "known_hosts"));
        var k1 = Key("ssh-ed25519", 1);
        var k2 = Key("ssh-ed25519", 2);
        Assert.Equal(SshKnownHostStatus.Unknown, kh.Check("10.0.0.1", 22, k1).Status);
        var first = kh.CheckAndRecord("10.0.0.1", 22, k1, recordUnknown: true);
        Assert.True(first.Recorded);
        Assert.Equal(SshKnownHostStatus.Known, kh.CheckAndRecord("10.0.0.1", 22, k1, recordUnknown: true).Status);
        Assert.Single(File.ReadAllLines(kh.Path));
        var changed = kh.Check("10.0.0.1", 22, k2);
        Assert.Equal(SshKnownHostStatus.Changed, changed.Status);
        Assert.Equal(new[] { SshKnownHosts.Fingerprint(k1) }, changed.KnownFingerprints);
        // The port is part of the name.
        Assert.Equal(SshKnownHostStatus.Unknown, kh.Check("10.0.0.1", 2222, k1).Status);
        Assert.StartsWith("10.0.0.1 ssh-ed25519 ", File.ReadAllText(kh.Path));
        Assert.Equal(1, kh.Remove("10.0.0.1", 22));
        Assert.Equal(SshKnownHostStatus.Unknown, kh.Check("10.0.0.1", 22, k2).Status);
    }

    [Fact]
    public void UnderstandsPatternsHashedNamesAndRevokedKeys()
    {
        var path = Path.Combine(_dir, "known_hosts");
        var k1 = Key("ssh-ed25519", 1);
        var k2 = Key("ssh-rsa", 2);
        var k3 = Key("ssh-ed25519", 3);
        var salt = RandomNumberGenerator.GetBytes(20);
        var hashed = $"|1|{Convert.ToBase64String(salt)}|{Convert.ToBase64String(HMACSHA1.HashData(salt, Encoding.UTF8.GetBytes("[vm.example]:2222")))}";
        File.WriteAllText(path, string.Join('\n',
            "# comment",
            "",
            $"host-*.lab,!host-9.lab ssh-ed25519 {Convert.ToBase64String(k1)} a comment",
            $"{hashed} ssh-rsa {Convert.ToBase64String(k2)}",
            $"@revoked * ssh-ed25519 {Convert.ToBase64String(k3)}",
            "garbage line",
            $"@cert-authority *.lab ssh-ed25519 {Convert.ToBase64String(k2)}") + "\n");
        var kh = new SshKnownHosts(path);
        Assert.Equal(SshKnownHostStatus.Known, kh.Check("host-1.lab", 22, k1).Status);
        Assert.Equal(SshKnownHostStatus.Known, kh.Check("HOST-2.LAB", 22, k1).Status);
        Assert.Equal(SshKnownHostStatus.Unknown, kh.Check("host-9.lab", 22, k1).Status);
        Assert.Equal(SshKnownHostStatus.Known, kh.Check("vm.example", 2222, k2).Status);
        Assert.Equal(SshKnownHostStatus.Changed, kh.Check("vm.example", 2222, k1).Status);
        Assert.Equal(SshKnownHostStatus.Revoked, kh.Check("anything", 22, k3).Status);
    }

    [Fact]
    public void ParallelSessionsRecordAHostOnce()
    {
        var path = Path.Combine(_dir, "known_hosts");
        var k = Key("ssh-ed25519", 7);
        var recorded = 0;
        Parallel.For(0, 16, _ =>
        {
            if (new SshKnownHosts(path).CheckAndRecord("127.0.0.1", 40000, k, recordUnknown: true).Recorded) Interlocked.Increment(ref recorded);
        });
        Assert.Equal(1, recorded);
        Assert.Single(File.ReadAllLines(path));
    }

    [Fact]
    public void FingerprintsLookLikeOpenSsh()
    {
        var k = Key("ssh-ed25519", 1);
        var fp = SshKnownHosts.Fingerprint(k);
        Assert.StartsWith("ssh-ed25519 SHA256:", fp);
        Assert.DoesNotContain("=", fp);
        Assert.Equal("[::1]:2200", SshKnownHosts.HostEntryName("::1", 2200));
    }
}
