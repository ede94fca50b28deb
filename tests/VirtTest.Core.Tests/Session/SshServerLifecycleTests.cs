using System.Diagnostics;
using VirtTest.Core.Resources;
using VirtTest.Core.Session;
using Xunit;

namespace VirtTest.Core.Tests.Session;

/// <summary>SshSession against an sshd of its own per test: restarted, killed, started late.</summary>
[Trait("Category", "Ssh")]
public sealed class SshServerLifecycleTests
{
    private static readonly TimeSpan T = TimeSpan.FromSeconds(20);

    [Fact]
    public async Task AcceptNewRecordsTheHostKeyAndRefusesAChangedOne()
    {
        await using var server = await SshTestServer.StartNewAsync();
        var knownHosts = Path.Combine(server.Dir, "run", "known_hosts");
        var log = new List<string>();
        var options = server.KeyOptions(knownHosts, SshHostKeyPolicy.AcceptNew, log: line => { lock (log) log.Add(line); });

        await using (var s = await SshSession.ConnectAsync(options, T))
        {
            Assert.Equal("ok\n", await s.CmdAsync("echo ok", T));
            Assert.Equal(Fingerprint(server.HostPublicKey), s.HostKeyFingerprint);
        }
        // Recorded in OpenSSH form, "[host]:port type key", the key being the server's.
        var pub = server.HostPublicKey.Split(' ');
        var lines = File.ReadAllLines(knownHosts);
        Assert.Equal(new[] { $"[127.0.0.1]:{server.Port} {pub[0]} {pub[1]}" }, lines);
        lock (log) Assert.Contains(log, l => l.Contains("recorded new host key"));

        // Known and unchanged: accepted, nothing added.
        await using (var s = await SshSession.ConnectAsync(options, T)) Assert.True(s.IsOpen);
        Assert.Single(File.ReadAllLines(knownHosts));

        // Same port, new machine (new host key): refused, typed, at once, naming host and both fingerprints.
        var oldFingerprint = Fingerprint(server.HostPublicKey);
        await server.StopAsync();
        server.NewHostKey();
        await server.StartAsync();
        var newFingerprint = Fingerprint(server.HostPublicKey);
        var clock = Stopwatch.StartNew();
        var ex = await Assert.ThrowsAsync<SshHostKeyException>(() => SshSession.ConnectAsync(options, T));
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), $"a refused host key must not be retried (took {clock.Elapsed})");
        Assert.Equal(SshHostKeyProblem.Changed, ex.Problem);
        Assert.Equal(newFingerprint, ex.OfferedFingerprint);
        Assert.Equal(new[] { oldFingerprint }, ex.KnownFingerprints);
        Assert.Contains($"[127.0.0.1]:{server.Port}", ex.Message);
        Assert.Contains(oldFingerprint, ex.Message);
        Assert.Contains(newFingerprint, ex.Message);
        Assert.Single(File.ReadAllLines(knownHosts));
    }

    [Fact]
    public async Task StrictRefusesAnUnknownHostAndAcceptsAKnownOne()
    {
        await using var server = await SshTestServer.StartNewAsync();
        var knownHosts = Path.Combine(server.Dir, "strict_known_hosts");
        var options = server.KeyOptions(knownHosts, SshHostKeyPolicy.Strict);

        var ex = await Assert.ThrowsAsync<SshHostKeyException>(() => SshSession.ConnectAsync(options, T));
        Assert.Equal(SshHostKeyProblem.Unknown, ex.Problem);
        Assert.Contains("Strict", ex.Message);
        Assert.Contains(Fingerprint(server.HostPublicKey), ex.Message);
        Assert.False(File.Exists(knownHosts) && File.ReadAllText(knownHosts).Length > 0, "Strict must not record anything");

        // Once the key is known (here: written the way ssh-keyscan would), Strict connects.
        var pub = server.HostPublicKey.Split(' ');
        File.WriteAllText(knownHosts, $"# pinned\n[127.0.0.1]:{server.Port} {pub[0]} {pub[1]}\n");
        await using var s = await SshSession.ConnectAsync(options, T);
        Assert.Equal("ok\n", await s.CmdAsync("echo ok", T));
    }

    [Fact]
    public async Task ALostConnectionFailsTheRunningCommandTypedAndQuickly()
    {
        await using var server = await SshTestServer.StartNewAsync();
        await using var s = await SshSession.ConnectAsync(server.KeyOptions(), T);
        await s.OpenShellAsync();
        var running = s.CmdAsync("sleep 34", TimeSpan.FromSeconds(60));
        await Task.Delay(1000);
        Assert.False(running.IsCompleted);
        var clock = Stopwatch.StartNew();
        Assert.True(server.KillConnections() > 0, "no sshd connection process found to kill");

        var ex = await Assert.ThrowsAsync<SessionClosedException>(() => running);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), $"noticing the lost connection took {clock.Elapsed}");
        Assert.Contains("connection was lost", ex.Message);
        Assert.False(s.IsOpen);
        // Later calls fail the same way, at once; so do waits on the shell (once its unread text is used up).
        clock.Restart();
        await Assert.ThrowsAsync<SessionClosedException>(() => s.CmdAsync("echo hi", T));
        var wait = await Assert.ThrowsAsync<SessionClosedException>(() => s.ReadUntilAsync(new System.Text.RegularExpressions.Regex("never-printed"), T));
        Assert.Contains("aborted", wait.Message);
        await Assert.ThrowsAsync<SessionClosedException>(() => s.SendLineAsync("echo hi"));
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(2), $"calls on a lost session took {clock.Elapsed}");
    }

    [Fact]
    public async Task ConnectingRetriesUntilTheServerIsUp()
    {
        var server = SshTestServer.Create();
        await using var _ = server;
        var log = new List<string>();
        var options = server.KeyOptions(log: line => { lock (log) log.Add(line); });
        var clock = Stopwatch.StartNew();
        var connecting = SshSession.ConnectAsync(options, TimeSpan.FromSeconds(20));
        await Task.Delay(1000);
        Assert.False(connecting.IsCompleted);
        await server.StartAsync();
        await using var s = await connecting;
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(8), $"connecting took {clock.Elapsed}");
        Assert.Equal("up\n", await s.CmdAsync("echo up", T));
        lock (log) Assert.Contains(log, l => l.Contains("attempt 1 failed"));
    }

    private static string Fingerprint(string publicKeyLine)
    {
        var blob = Convert.FromBase64String(publicKeyLine.Split(' ')[1]);
        return SshKnownHosts.Fingerprint(blob);
    }
}
