using System.Management.Automation;
using VirtTest.Core;
using VirtTest.Core.Runner;

namespace VirtTest.PowerShell.Cmdlets;

/// <summary>How a test script ends itself with <c>Exit-VirtTest</c>.</summary>
public enum TestExitStatus
{
    /// <summary>The tested thing is wrong.</summary>
    Fail,
    /// <summary>The environment is broken (set-up trouble), not the tested thing.</summary>
    Error,
    /// <summary>The test cannot run here (a missing host or guest feature).</summary>
    Cancel,
    /// <summary>The test does not apply (not run).</summary>
    Skip,
}

/// <summary>
/// <c>Exit-VirtTest</c>: ends the running test script at once with a status and a reason:
/// FAIL, ERROR (set-up trouble), CANCEL (cannot run here) or SKIP.
/// </summary>
[Cmdlet(VerbsCommon.Exit, "VirtTest")]
[OutputType(typeof(void))]
public sealed class ExitVirtTestCommand : VirtCmdlet
{
    /// <summary>How the test ends.</summary>
    [Parameter(Mandatory = true, Position = 0)]
    public TestExitStatus Status { get; set; }

    /// <summary>The one-line reason shown in the results.</summary>
    [Parameter(Mandatory = true, Position = 1)]
    [ValidateNotNullOrEmpty]
    public string Reason { get; set; } = "";

    protected override void EndProcessingCore()
    {
        VirtTestException exit = Status switch
        {
            TestExitStatus.Error => new TestErrorException(Reason),
            TestExitStatus.Cancel => new TestCancelledException(Reason),
            TestExitStatus.Skip => new TestSkippedException(Reason),
            _ => new TestFailedException(Reason),
        };
        ThrowTerminatingError(ErrorRecords.FromException(exit, Status));
    }
}
