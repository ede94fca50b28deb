using System.Globalization;

namespace VirtTest.Core.Runner;

/// <summary>Memory and CPUs tests may use on this host, for placing tests by what their VMs need.</summary>
public sealed record HostCapacity(int MemoryMB, int Cpus)
{
    /// <summary>Memory left to the host itself (the runner, PowerShell, the page cache).</summary>
    public const int HostReserveMB = 1024;

    /// <summary>This host: available memory (from /proc/meminfo) minus a reserve, and its CPUs.</summary>
    public static HostCapacity Measure()
    {
        var memory = 4096;
        try
        {
            foreach (var line in File.ReadLines("/proc/meminfo"))
            {
                if (!line.StartsWith("MemAvailable:", StringComparison.Ordinal)) continue;
                var kb = long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture);
                memory = (int)Math.Max(512, kb / 1024 - HostReserveMB);
                break;
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or FormatException) { /* not Linux: keep the guess */ }
        return new HostCapacity(memory, Environment.ProcessorCount);
    }

    /// <summary>Workers by default: one per CPU, fewer when memory cannot hold that many typical (1 GiB) tests.</summary>
    public int DefaultJobs => Math.Max(1, Math.Min(Cpus, MemoryMB / 1024));
}
