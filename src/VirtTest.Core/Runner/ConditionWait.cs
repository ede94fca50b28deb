using System.Diagnostics;
using System.Globalization;

namespace VirtTest.Core.Runner;

/// <summary>
/// Polls a condition until it is true or a deadline passes (the reference's
/// <c>utils_misc.wait_for</c>): an optional first delay, then one try per interval, the
/// last try at the deadline. The condition runs on the caller's thread (a PowerShell script
/// block must), so this wait is synchronous; it observes the cancellation token between tries.
/// </summary>
public static class ConditionWait
{
    /// <summary>Returns the condition's first true value; throws <see cref="WaitTimeoutException"/> at the deadline.</summary>
    /// <param name="condition">Evaluated once per try.</param>
    /// <param name="description">What is awaited, for the timeout error ("the guest's SSH port").</param>
    /// <param name="timeout">The deadline, counted from the call (the first delay included).</param>
    /// <param name="interval">Time between tries.</param>
    /// <param name="firstDelay">Time before the first try.</param>
    /// <param name="ct">Stops the wait between tries.</param>
    /// <param name="isTrue">Whether a value counts as true (PowerShell's truthiness, for script blocks).</param>
    /// <param name="retryOnError">An exception from the condition counts as false (and is named in the timeout error) instead of ending the wait.</param>
    /// <param name="onTry">Called before each try with its number and the time waited so far (progress, verbose output).</param>
    public static object? Until(Func<object?> condition, Func<object?, bool> isTrue, string description, TimeSpan timeout, TimeSpan interval,
        TimeSpan firstDelay = default, bool retryOnError = false, Action<int, TimeSpan>? onTry = null, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(condition);
        ArgumentNullException.ThrowIfNull(isTrue);
        if (interval <= TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(interval), interval, "the interval must be positive");
        var clock = Stopwatch.StartNew();
        if (firstDelay > TimeSpan.Zero) Sleep(firstDelay, ct);
        var tries = 0;
        Exception? lastError = null;
        object? last = null;
        while (true)
        {
            ct.ThrowIfCancellationRequested();
            tries++;
            onTry?.Invoke(tries, clock.Elapsed);
            try
            {
                last = condition();
                lastError = null;
                if (isTrue(last)) return last;
            }
            catch (Exception ex) when (retryOnError && ex is not OperationCanceledException)
            {
                lastError = ex;
            }
            var left = timeout - clock.Elapsed;
            if (left <= TimeSpan.Zero) throw new WaitTimeoutException(description, timeout, tries, lastError is null ? Describe(last) : null, lastError);
            Sleep(left < interval ? left : interval, ct);
        }
    }

    private static void Sleep(TimeSpan span, CancellationToken ct)
    {
        // A token that can never be cancelled has no handle worth waiting on.
        if (!ct.CanBeCanceled) Thread.Sleep(span);
        else if (ct.WaitHandle.WaitOne(span)) ct.ThrowIfCancellationRequested();
    }

    private static string Describe(object? value) => value switch
    {
        null => "nothing",
        string s => $"'{(s.Length > 80 ? s[..77] + "..." : s)}'",
        _ => value.ToString() is { Length: > 0 } text ? (text.Length > 80 ? text[..77] + "..." : text) : value.GetType().Name,
    };
}

/// <summary>A condition polled by <see cref="ConditionWait"/> did not become true in time.</summary>
public sealed class WaitTimeoutException : VirtTestException
{
    /// <inheritdoc />
    public override string ErrorId => "WaitTimeout";

    /// <inheritdoc />
    public override VirtErrorCategory Category => VirtErrorCategory.OperationTimeout;

    public WaitTimeoutException(string description, TimeSpan timeout, int tries, string? lastValue, Exception? lastError)
        : base(string.Create(CultureInfo.InvariantCulture,
            $"Timed out after {timeout.TotalSeconds:0.#} s ({tries} tries) waiting for {description}; ")
            + (lastError is not null ? "the last try failed: " + lastError.Message : "the last try returned " + lastValue) + ".", lastError)
    {
        Description = description;
        Timeout = timeout;
        Tries = tries;
    }

    public string Description { get; }
    public TimeSpan Timeout { get; }
    public int Tries { get; }
}
