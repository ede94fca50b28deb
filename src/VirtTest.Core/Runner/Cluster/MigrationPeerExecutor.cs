namespace VirtTest.Core.Runner.Cluster;

/// <summary>
/// Runs a test body with the cross-node migration destination in its env
/// (<c>$Env.Data['migration_destination']</c>), once the helper on the other node is ready. A
/// destination that could not start makes the test ERROR: the environment, not the test, broke.
/// </summary>
internal sealed class MigrationPeerExecutor : ITestExecutor
{
    private readonly ITestExecutor _inner;
    private readonly Task<MigrationPeer> _peer;

    public MigrationPeerExecutor(ITestExecutor inner, Task<MigrationPeer> peer)
    {
        _inner = inner;
        _peer = peer;
    }

    public async Task ExecuteAsync(TestContext context, CancellationToken ct)
    {
        MigrationPeer peer;
        try
        {
            peer = await _peer.WaitAsync(ct).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is VirtTestException or IOException or System.ComponentModel.Win32Exception)
        {
            throw new TestErrorException("no migration destination: " + ex.Message, ex);
        }
        context.Log.Write($"migration destination: {peer.Destination}");
        context.Env.Data[ClusterTestJob.MigrationDestinationKey] = peer.Destination;
        try
        {
            await _inner.ExecuteAsync(context, ct).ConfigureAwait(false);
        }
        finally
        {
            context.Env.Data.Remove(ClusterTestJob.MigrationDestinationKey);
        }
    }

    public ValueTask DisposeAsync() => _inner.DisposeAsync();
}
