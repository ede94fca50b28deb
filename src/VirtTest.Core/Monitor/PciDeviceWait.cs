namespace VirtTest.Core.Monitor;

/// <summary>Hot-plug returns once the hypervisor accepted the device; the caller wants it on the PCI bus.</summary>
public static class PciDeviceWait
{
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(50);

    /// <summary>Polls the PCI list until a device with id <paramref name="id"/> shows up, or the deadline passes.</summary>
    public static async Task<PciDevice> UntilListedAsync(Func<CancellationToken, Task<IReadOnlyList<PciDevice>>> list, string id, string model,
        DateTime deadline, TimeSpan timeout, CancellationToken ct)
    {
        while (true)
        {
            var found = (await list(ct).ConfigureAwait(false)).FirstOrDefault(d => d.QdevId == id);
            if (found is not null) return found;
            if (DateTime.UtcNow >= deadline) throw new MonitorTimeoutException($"device '{id}' ({model}) to appear in the PCI list", timeout);
            await Task.Delay(PollInterval, ct).ConfigureAwait(false);
        }
    }

    /// <summary>What is left of an overall deadline, never less than a short minimum (one more round trip).</summary>
    public static TimeSpan Remaining(DateTime deadline)
    {
        var left = deadline - DateTime.UtcNow;
        return left > TimeSpan.FromMilliseconds(100) ? left : TimeSpan.FromMilliseconds(100);
    }
}
