namespace VirtTest.Core.Runner.Cluster;

/// <summary>Base of the errors of cluster runs on Slurm: what failed talking to Slurm or planning the jobs.</summary>
public class SlurmException : VirtTestException
{
    /// <inheritdoc />
    public override string ErrorId => "Slurm";

    /// <inheritdoc />
    public override VirtErrorCategory Category => VirtErrorCategory.InvalidOperation;

    public SlurmException(string message, Exception? inner = null) : base(message, inner) { }
}

/// <summary>A Slurm client command (sbatch, squeue, ...) is not installed on this host.</summary>
public sealed class SlurmNotInstalledException : SlurmException
{
    /// <inheritdoc />
    public override string ErrorId => "Slurm.NotInstalled";

    /// <inheritdoc />
    public override VirtErrorCategory Category => VirtErrorCategory.NotInstalled;

    public SlurmNotInstalledException(string tool, string searched)
        : base($"The Slurm client is not installed: '{tool}' is not in {searched}. Install the Slurm client commands (Debian: slurm-client) on the host that runs Invoke-VirtTestRun -Cluster Slurm.")
    {
        Tool = tool;
    }

    public string Tool { get; }
}

/// <summary><c>SLURM_CONF</c> names a file that does not exist.</summary>
public sealed class SlurmConfigNotFoundException : SlurmException
{
    /// <inheritdoc />
    public override string ErrorId => "Slurm.ConfigNotFound";

    /// <inheritdoc />
    public override VirtErrorCategory Category => VirtErrorCategory.ObjectNotFound;

    public SlurmConfigNotFoundException(string path)
        : base($"SLURM_CONF points to '{path}', which does not exist: set it to the cluster's slurm.conf (for the local lab: <lab>/etc/slurm.conf, which build.ps1 -Task Cluster prints), or unset it to use Slurm's default.")
    {
        Path = path;
    }

    public string Path { get; }
}

/// <summary>A Slurm command ran but failed (the controller is unreachable, a request was refused, ...).</summary>
public sealed class SlurmCommandException : SlurmException
{
    /// <inheritdoc />
    public override string ErrorId => "Slurm.CommandFailed";

    /// <inheritdoc />
    public override VirtErrorCategory Category => VirtErrorCategory.ConnectionError;

    public SlurmCommandException(string command, int exitCode, string error, Exception? inner = null)
        : base($"'{command}' failed (exit code {exitCode}): {(error.Length > 0 ? error : "no error output")}", inner)
    {
        Command = command;
        ExitCode = exitCode;
        ErrorOutput = error;
    }

    public string Command { get; }
    public int ExitCode { get; }
    public string ErrorOutput { get; }
}

/// <summary>The partition asked for does not exist (or the cluster has no default partition).</summary>
public sealed class SlurmPartitionNotFoundException : SlurmException
{
    /// <inheritdoc />
    public override string ErrorId => "Slurm.PartitionNotFound";

    /// <inheritdoc />
    public override VirtErrorCategory Category => VirtErrorCategory.ObjectNotFound;

    public SlurmPartitionNotFoundException(string? partition, IReadOnlyList<string> known)
        : base((partition is null ? "The cluster has no default partition: name one with -Partition." : $"Slurm has no partition '{partition}'.")
               + $" Partitions: {(known.Count > 0 ? string.Join(", ", known) : "none")}.")
    {
        Partition = partition;
        Known = known;
    }

    public string? Partition { get; }
    public IReadOnlyList<string> Known { get; }
}

/// <summary>A test needs more (memory, CPUs, nodes, features) than any node of the partition offers: it could never start.</summary>
public sealed class ClusterCapacityException : SlurmException
{
    /// <inheritdoc />
    public override string ErrorId => "Slurm.TestTooLarge";

    /// <inheritdoc />
    public override VirtErrorCategory Category => VirtErrorCategory.ResourceUnavailable;

    public ClusterCapacityException(string test, string message) : base($"Test '{test}' cannot run on this cluster: {message}")
    {
        Test = test;
    }

    public string Test { get; }
}
