namespace VirtTest.Core.Runner.Cluster;

/// <summary>The destination of a cross-node migration (a helper on the job's other node) could not be started or failed.</summary>
public sealed class MigrationDestinationException : VirtTestException
{
    /// <inheritdoc />
    public override string ErrorId => "Cluster.MigrationDestination";

    /// <inheritdoc />
    public override VirtErrorCategory Category => VirtErrorCategory.ResourceUnavailable;

    public MigrationDestinationException(string node, string message, Exception? inner = null) : base(message, inner)
    {
        Node = node;
    }

    /// <summary>The node of the destination (empty when not known yet).</summary>
    public string Node { get; }
}
