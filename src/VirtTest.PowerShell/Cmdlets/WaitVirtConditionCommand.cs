using System.Globalization;
using System.Management.Automation;
using VirtTest.Core.Runner;

namespace VirtTest.PowerShell.Cmdlets;

/// <summary>
/// <c>Wait-VirtCondition</c>: runs a script block until its output is true (PowerShell's
/// truthiness) or the timeout passes (the reference's <c>utils_misc.wait_for</c>); writes
/// the true output, or a WaitTimeout error naming what was awaited.
/// </summary>
[Cmdlet(VerbsLifecycle.Wait, "VirtCondition")]
[OutputType(typeof(object))]
public sealed class WaitVirtConditionCommand : VirtCmdlet
{
    /// <summary>The condition, run once per try; its output counts as true or false.</summary>
    [Parameter(Mandatory = true, Position = 0)]
    public ScriptBlock Condition { get; set; } = null!;

    /// <summary>The deadline in seconds, counted from the call.</summary>
    [Parameter]
    [ValidateRange(0, int.MaxValue)]
    public double TimeoutSec { get; set; } = 60;

    /// <summary>Seconds between tries.</summary>
    [Parameter]
    [ValidateRange(0.01, 3600)]
    public double IntervalSec { get; set; } = 1;

    /// <summary>Seconds to wait before the first try.</summary>
    [Parameter]
    [ValidateRange(0, int.MaxValue)]
    public double FirstDelaySec { get; set; }

    /// <summary>What is awaited, for progress and the timeout error.</summary>
    [Parameter(Position = 1)]
    public string Message { get; set; } = "";

    /// <summary>An error in the condition counts as false (retried) instead of ending the wait.</summary>
    [Parameter]
    public SwitchParameter RetryOnError { get; set; }

    protected override void EndProcessingCore()
    {
        var description = Message.Length > 0 ? Message : "{" + Condition.ToString().Trim() + "}";
        var progress = new ProgressRecord(0x5741, "Waiting for " + description, "first try");
        var timeout = TimeSpan.FromSeconds(TimeoutSec);
        try
        {
            var result = ConditionWait.Until(
                () => Condition.Invoke() is { Count: > 0 } output ? (output.Count == 1 ? output[0] : output) : null,
                LanguagePrimitives.IsTrue, description, timeout, TimeSpan.FromSeconds(IntervalSec), TimeSpan.FromSeconds(FirstDelaySec),
                RetryOnError, (attempt, waited) =>
                {
                    WriteVerbose(string.Create(CultureInfo.InvariantCulture, $"{description}: try {attempt} after {waited.TotalSeconds:0.0} s"));
                    if (attempt > 1)
                    {
                        progress.StatusDescription = string.Create(CultureInfo.InvariantCulture, $"try {attempt}, {waited.TotalSeconds:0} of {timeout.TotalSeconds:0} s");
                        progress.PercentComplete = timeout > TimeSpan.Zero ? (int)Math.Min(100, 100 * waited / timeout) : 100;
                        WriteProgress(progress);
                    }
                }, CancellationToken);
            WriteObject(result is PSObject { BaseObject: var inner } && inner is not PSCustomObject ? inner : result);
        }
        catch (WaitTimeoutException ex)
        {
            ThrowTerminatingError(ErrorRecords.FromException(ex, Condition));
        }
        catch (OperationCanceledException) when (CancellationToken.IsCancellationRequested)
        {
            throw new PipelineStoppedException();
        }
        finally
        {
            progress.RecordType = ProgressRecordType.Completed;
            WriteProgress(progress);
        }
    }
}
