using VirtTest.Core.Config;
using VirtTest.Core.Runner;

namespace VirtTest.Core.Tests.Runner;

/// <summary>Test bodies as C# delegates, by the test's <c>type</c> param: the runner without PowerShell.</summary>
internal sealed class DelegateExecutor : ITestExecutor
{
    private readonly IReadOnlyDictionary<string, Func<TestContext, CancellationToken, Task>> _bodies;

    public DelegateExecutor(IReadOnlyDictionary<string, Func<TestContext, CancellationToken, Task>> bodies) => _bodies = bodies;

    public int Disposed;

    /// <summary>Runs the tests one after the other with these bodies; the results by test name.</summary>
    public static async Task<(TestRun Run, Dictionary<string, TestResult> ByName)> RunOneByOneAsync(
        IReadOnlyList<VirtParams> tests, string outputPath, IReadOnlyDictionary<string, Func<TestContext, CancellationToken, Task>> bodies)
    {
        var run = new TestRun(new TestRunOptions
        {
            Tests = tests,
            OutputPath = outputPath,
            Jobs = 1,
            ExecutorFactory = _ => new DelegateExecutor(bodies),
            Capacity = new HostCapacity(8192, 4),
        });
        await run.RunAsync(CancellationToken.None);
        return (run, run.Results.Tests.ToDictionary(t => t.Name));
    }

    public Task ExecuteAsync(TestContext context, CancellationToken ct) =>
        _bodies.TryGetValue(context.Params.Get("type") ?? "", out var body)
            ? body(context, ct)
            : throw new TestErrorException($"no body for type '{context.Params.Get("type")}'");

    public ValueTask DisposeAsync()
    {
        Interlocked.Increment(ref Disposed);
        return ValueTask.CompletedTask;
    }
}
