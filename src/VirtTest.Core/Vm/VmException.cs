namespace VirtTest.Core.Vm;

/// <summary>A VM operation could not be carried out.</summary>
public class VmException : VirtTestException
{
    /// <inheritdoc />
    public override string ErrorId => "Vm";

    /// <inheritdoc />
    public override VirtErrorCategory Category => VirtErrorCategory.InvalidOperation;

    public VmException(string vmName, string message, Exception? inner = null) : base(message, inner)
    {
        VmName = vmName;
    }

    public string VmName { get; }
}

/// <summary>The VM is not in a state that allows the operation (not running, already dead, ...).</summary>
public class VmStateException : VmException
{
    /// <inheritdoc />
    public override string ErrorId => "VmState";

    /// <inheritdoc />
    public override VirtErrorCategory Category => VirtErrorCategory.InvalidOperation;

    public VmStateException(string vmName, VmState state, string operation, string? detail = null)
        : base(vmName, $"Cannot {operation} VM '{vmName}': it is {state}" + (detail is null ? "." : $" ({detail})."))
    {
        State = state;
        Operation = operation;
    }

    public VmState State { get; }
    public string Operation { get; }
}

/// <summary>A params value the backend (or its hypervisor binary) cannot use.</summary>
public class VmParamException : VmException
{
    /// <inheritdoc />
    public override string ErrorId => "VmParam";

    /// <inheritdoc />
    public override VirtErrorCategory Category => VirtErrorCategory.InvalidArgument;

    public VmParamException(string vmName, string param, string value, string problem, IReadOnlyList<string>? validChoices = null)
        : base(vmName, Compose(vmName, param, value, problem, validChoices))
    {
        Param = param;
        Value = value;
        ValidChoices = validChoices ?? Array.Empty<string>();
    }

    public string Param { get; }
    public string Value { get; }
    public IReadOnlyList<string> ValidChoices { get; }

    private static string Compose(string vm, string param, string value, string problem, IReadOnlyList<string>? choices)
    {
        var msg = $"VM '{vm}': param {param} = '{value}': {problem}.";
        if (choices is { Count: > 0 }) msg += " Valid choices: " + string.Join(", ", choices) + ".";
        return msg;
    }
}

/// <summary>A start was asked to wait until the guest is ready, but nothing says what "ready" looks like.</summary>
public sealed class NoReadyPatternException : VmParamException
{
    public NoReadyPatternException(string vmName)
        : base(vmName, "ready_pattern", "", "not set, so there is nothing to wait for (set ready_pattern, or give the pattern to wait for)")
    {
    }

    /// <inheritdoc />
    public override string ErrorId => "NoReadyPattern";
}
