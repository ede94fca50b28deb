namespace VirtTest.Core.Runner;

/// <summary>Where a run is: a results folder of an interrupted run says so.</summary>
public enum RunState
{
    Running,
    Completed,
    /// <summary>Stopped by the user or by a crash of the runner; the results kept are valid.</summary>
    Interrupted,
}
