using VirtTest.Core.Config;
using VirtTest.Core.Session;
using VirtTest.Core.Vm;

namespace VirtTest.Core.Runner;

/// <summary>What a test body gets: its params, the env with its VMs, the main VM and a logged-in session.</summary>
public sealed class TestContext
{
    public required VirtParams Params { get; init; }
    public required TestEnv Env { get; init; }
    /// <summary>The main VM (<c>main_vm</c>), when the params start one.</summary>
    public VirtualMachine? Vm { get; internal set; }
    /// <summary>A logged-in shell on the main VM (params <c>shell_client</c>, <c>username</c>, ...), unless <c>test_session = no</c>.</summary>
    public GuestSession? Session { get; internal set; }
    /// <summary>The test's folder for logs, screenshots and any file it wants kept.</summary>
    public required string Directory { get; init; }
    /// <summary>The test's debug log (also receives what the body writes).</summary>
    public required TestLog Log { get; init; }
    /// <summary>The steps the test names (<c>Set-VirtTestStep</c>); the current one locates a failure.</summary>
    public TestSteps Steps => _steps ??= new TestSteps(Log);
    private TestSteps? _steps;
    public int Worker => Env.Worker;
}

/// <summary>Runs the body of one test (a script, a spec, a delegate). One executor per worker.</summary>
public interface ITestExecutor : IAsyncDisposable
{
    /// <summary>
    /// Runs the test named by <c>type</c> in the context's params. Returns when it passed; throws when it
    /// failed (<see cref="TestSkippedException"/> to skip). Must end soon after <paramref name="ct"/> is
    /// cancelled; one that does not is abandoned and the worker gets a new executor.
    /// </summary>
    Task ExecuteAsync(TestContext context, CancellationToken ct);
}
