namespace VirtTest.Core.Monitor;

/// <summary>One reading of a running migration.</summary>
/// <param name="Status">The hypervisor's status word (setup, active, completed, failed, ...).</param>
/// <param name="TransferredBytes">Memory bytes sent so far.</param>
/// <param name="TotalBytes">Memory size to send (0 when not known yet).</param>
/// <param name="RemainingBytes">Memory bytes still dirty.</param>
public sealed record MigrationProgress(string Status, long TransferredBytes, long TotalBytes, long RemainingBytes)
{
    /// <summary>0..100, estimated from transferred and remaining bytes.</summary>
    public int Percent => TotalBytes <= 0 ? 0 : (int)Math.Clamp(100.0 * (TotalBytes - RemainingBytes) / TotalBytes, 0, 100);
}
