using VirtTest.Core.Runner;

namespace VirtTest.Core.Tests.Runner;

/// <summary>Test bodies as C# delegates, by the test's <c>type</c> param: the runner without PowerShell.</summary>
internal sealed class DelegateExecutor : ITestExecutor
{
    private readonly IReadOnlyDictionary<string, Func<TestContext, CancellationToken, Task>> _bodies;

    public DelegateExecutor(IReadOnlyDictionary<string, Func<TestContext, CancellationToken, Task>> bodies) => _bodies = bodies;

    public int Disposed;

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
