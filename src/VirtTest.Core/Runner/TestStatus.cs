namespace VirtTest.Core.Runner;

/// <summary>How a test ended.</summary>
public enum TestStatus
{
    /// <summary>The test ran to its end without an error.</summary>
    Pass,
    /// <summary>The test's own check failed (its script threw).</summary>
    Fail,
    /// <summary>The framework or the environment broke (a VM died, set-up failed, a timeout).</summary>
    Error,
    /// <summary>Not run: a capability the backend lacks, a failed dependency, or the test skipped itself.</summary>
    Skip,
    /// <summary>Stopped by the user (Ctrl+C, Stop-VirtTestRun).</summary>
    Cancel,
}
