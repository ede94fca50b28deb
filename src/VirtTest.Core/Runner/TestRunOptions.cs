using VirtTest.Core.Config;

namespace VirtTest.Core.Runner;

/// <summary>What <see cref="TestRun"/> runs and where it writes.</summary>
public sealed class TestRunOptions
{
    /// <summary>The expanded matrix, in order.</summary>
    public required IReadOnlyList<VirtParams> Tests { get; init; }

    /// <summary>The results folder (created).</summary>
    public required string OutputPath { get; init; }

    /// <summary>Makes the executor of a worker (1-based); called again when a worker's executor had to be abandoned.</summary>
    public required Func<int, ITestExecutor> ExecutorFactory { get; init; }

    /// <summary>Workers; 0 means what the host can hold (<see cref="HostCapacity.DefaultJobs"/>).</summary>
    public int Jobs { get; init; }

    /// <summary>Per-test timeout when the params have no <c>test_timeout</c> (seconds).</summary>
    public TimeSpan DefaultTimeout { get; init; } = TimeSpan.FromMinutes(30);

    /// <summary>How long a cancelled test body gets to end before it is abandoned.</summary>
    public TimeSpan AbandonAfter { get; init; } = TimeSpan.FromSeconds(15);

    /// <summary>The host's memory and CPUs for placing tests; null measures this host.</summary>
    public HostCapacity? Capacity { get; init; }

    public IReadOnlyList<string> ConfigFiles { get; init; } = Array.Empty<string>();
    public IReadOnlyList<string> Filters { get; init; } = Array.Empty<string>();
    public string TestPath { get; init; } = "";
}
