using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Serialization;

namespace VirtTest.Core.Runner;

/// <summary>One named step of a test, as <c>results.json</c> stores it.</summary>
public sealed record TestStep
{
    /// <summary>1-based position in the test.</summary>
    [JsonPropertyName("number")] public int Number { get; init; }
    [JsonPropertyName("name")] public string Name { get; init; } = "";
    [JsonPropertyName("start")] public DateTimeOffset Start { get; init; }
    /// <summary>Seconds until the next step began or the test ended.</summary>
    [JsonPropertyName("duration")] public double Duration { get; init; }

    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{Number}. {Name} ({Duration:0.0} s)");
}

/// <summary>
/// The steps a test names while it runs (the reference's <c>error_context.context</c>): each
/// begins where the previous one ends. The step current when a test fails names where it
/// failed in the one-line reason; all of them go to the debug log, results.json and the
/// HTML report. Thread-safe.
/// </summary>
public sealed class TestSteps
{
    private readonly object _gate = new();
    private readonly List<(string Name, DateTimeOffset Start, long Ticks)> _steps = new();
    private readonly TestLog? _log;

    public TestSteps(TestLog? log = null) => _log = log;

    /// <summary>The step running now, or null before the first.</summary>
    public string? Current
    {
        get { lock (_gate) return _steps.Count == 0 ? null : _steps[^1].Name; }
    }

    /// <summary>Ends the current step (if any) and begins <paramref name="name"/>; returns its number.</summary>
    public int Begin(string name)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        int number;
        lock (_gate)
        {
            _steps.Add((name.Trim(), DateTimeOffset.Now, Stopwatch.GetTimestamp()));
            number = _steps.Count;
        }
        _log?.Write(string.Create(CultureInfo.InvariantCulture, $"STEP {number}: {name.Trim()}"), "STEP");
        return number;
    }

    /// <summary>The steps so far, the last one lasting until now.</summary>
    public IReadOnlyList<TestStep> Snapshot()
    {
        lock (_gate)
        {
            var now = Stopwatch.GetTimestamp();
            return _steps.Select((s, i) => new TestStep
            {
                Number = i + 1,
                Name = s.Name,
                Start = s.Start,
                Duration = Math.Round(Stopwatch.GetElapsedTime(s.Ticks, i + 1 < _steps.Count ? _steps[i + 1].Ticks : now).TotalSeconds, 3),
            }).ToList();
        }
    }

    /// <summary>A failure's one-line reason, saying in which step it happened (unchanged when no step began).</summary>
    public string Locate(string reason)
    {
        var current = Current;
        lock (_gate)
        {
            return current is null ? reason : string.Create(CultureInfo.InvariantCulture, $"In step {_steps.Count} '{current}': {reason}");
        }
    }
}
