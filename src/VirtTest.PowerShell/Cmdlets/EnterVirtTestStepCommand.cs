using System.Management.Automation;
using VirtTest.Core.Runner;

namespace VirtTest.PowerShell.Cmdlets;

/// <summary>
/// <c>Enter-VirtTestStep</c>: names the step a test script is in (the reference's
/// <c>error_context.context</c>). The step lasts until the next one; when the test fails, its
/// one-line reason says in which step, and results.json and the HTML report list the steps.
/// </summary>
[Cmdlet(VerbsCommon.Enter, "VirtTestStep")]
[OutputType(typeof(TestStep))]
public sealed class EnterVirtTestStepCommand : VirtCmdlet
{
    /// <summary>The runspace variable through which a test run gives a script its steps.</summary>
    internal const string StepsVariable = "VirtTestSteps";

    /// <summary>What the test does from now on ("log in over SSH").</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true)]
    [ValidateNotNullOrEmpty]
    public string Name { get; set; } = "";

    /// <summary>Write the step that began.</summary>
    [Parameter]
    public SwitchParameter PassThru { get; set; }

    protected override void ProcessRecord()
    {
        // Outside a test run (an interactive session) the steps are kept for this session only.
        if (SessionState.PSVariable.GetValue(StepsVariable) is not TestSteps steps)
        {
            steps = new TestSteps();
            SessionState.PSVariable.Set(new PSVariable(StepsVariable, steps, ScopedItemOptions.None));
        }
        var number = steps.Begin(Name);
        WriteVerbose($"Step {number}: {Name}");
        if (PassThru) WriteObject(steps.Snapshot()[number - 1]);
    }
}
