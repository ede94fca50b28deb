namespace VirtTest.Core.Runner;

/// <summary>The runner itself could not do something (no test script for a type, unreadable results, ...).</summary>
public class RunnerException : VirtTestException
{
    /// <inheritdoc />
    public override string ErrorId => "Runner";

    /// <inheritdoc />
    public override VirtErrorCategory Category => VirtErrorCategory.InvalidOperation;

    public RunnerException(string message, Exception? inner = null) : base(message, inner) { }
}

/// <summary>Thrown by a test (or its set-up) to be recorded as SKIP with this message as the reason.</summary>
public sealed class TestSkippedException : VirtTestException
{
    /// <inheritdoc />
    public override string ErrorId => "TestSkipped";

    /// <inheritdoc />
    public override VirtErrorCategory Category => VirtErrorCategory.NotSpecified;

    public TestSkippedException(string reason) : base(reason) { }
}

/// <summary>Thrown by a test to be recorded as ERROR (the environment, not the tested thing, is broken).</summary>
public sealed class TestErrorException : VirtTestException
{
    /// <inheritdoc />
    public override string ErrorId => "TestError";

    /// <inheritdoc />
    public override VirtErrorCategory Category => VirtErrorCategory.NotSpecified;

    public TestErrorException(string reason, Exception? inner = null) : base(reason, inner) { }
}

/// <summary>A test's own check failed; the message says what (and where in the script).</summary>
public sealed class TestFailedException : VirtTestException
{
    /// <inheritdoc />
    public override string ErrorId => "TestFailed";

    /// <inheritdoc />
    public override VirtErrorCategory Category => VirtErrorCategory.NotSpecified;

    public TestFailedException(string message, string? position = null, Exception? inner = null) : base(message, inner)
    {
        Position = position;
    }

    /// <summary>The script position of the failure, for the debug log.</summary>
    public string? Position { get; }
}

/// <summary>Thrown by a test to be recorded as CANCEL: it cannot run here (a missing host feature, a guest that lacks what it needs).</summary>
public sealed class TestCancelledException : VirtTestException
{
    /// <inheritdoc />
    public override string ErrorId => "TestCancelled";

    /// <inheritdoc />
    public override VirtErrorCategory Category => VirtErrorCategory.OperationStopped;

    public TestCancelledException(string reason) : base(reason) { }
}
