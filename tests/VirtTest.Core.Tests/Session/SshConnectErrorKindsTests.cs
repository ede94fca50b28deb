using System.Net.Sockets;
using Renci.SshNet.Common;
using VirtTest.Core.Session;
using Xunit;

namespace VirtTest.Core.Tests.Session;

/// <summary>
/// Which errors of a connect attempt are retried until the deadline (a guest still booting)
/// and which end the connect at once (nothing a retry could mend).
/// </summary>
public sealed class SshConnectErrorKindsTests
{
    public static TheoryData<Exception> Transient() => new()
    {
        new SocketException((int)SocketError.ConnectionRefused),
        new SshConnectionException("Server response does not contain SSH protocol identification."),
        new SshOperationTimeoutException("Connection has timed out."),
        new IOException("Connection reset by peer"),
        new ProxyException("proxy"),
    };

    public static TheoryData<Exception> Final() => new()
    {
        new FileNotFoundException("Could not load file or assembly 'Renci.SshNet'", "Renci.SshNet.dll"),
        new FileLoadException("Could not load file or assembly 'BouncyCastle.Cryptography'"),
        new DirectoryNotFoundException("/no/such/folder"),
        new SshAuthenticationException("Permission denied (password)."),
        new ArgumentException("bad argument"),
        new InvalidOperationException("bug"),
    };

    [Theory]
    [MemberData(nameof(Transient))]
    public void Network_and_protocol_errors_are_retried(Exception error) => Assert.True(SshConnector.IsTransient(error), error.GetType().Name);

    [Theory]
    [MemberData(nameof(Final))]
    public void Missing_files_assemblies_and_bad_arguments_end_the_connect_at_once(Exception error) => Assert.False(SshConnector.IsTransient(error), error.GetType().Name);
}
