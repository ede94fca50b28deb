using VirtTest.Core.Vm;

namespace VirtTest.Core.Monitor;

/// <summary>A block job ended with an error, or was cancelled when it was expected to complete.</summary>
public sealed class BlockJobFailedException : VmException
{
    /// <inheritdoc />
    public override string ErrorId => "BlockJobFailed";

    /// <inheritdoc />
    public override VirtErrorCategory Category => VirtErrorCategory.DeviceError;

    public BlockJobFailedException(string vmName, string jobId, BlockJobType type, string? device, string error)
        : base(vmName, $"VM '{vmName}': {type.ToString().ToLowerInvariant()} job '{jobId}'" + (device is null ? "" : $" on disk '{device}'") + $" failed: {error}")
    {
        JobId = jobId;
        Type = type;
        Device = device;
        Error = error;
    }

    public string JobId { get; }
    public BlockJobType Type { get; }
    public string? Device { get; }
    public string Error { get; }
}

/// <summary>No disk (or no block job) with that id on the VM.</summary>
public sealed class BlockDeviceNotFoundException : VmException
{
    /// <inheritdoc />
    public override string ErrorId => "BlockDeviceNotFound";

    /// <inheritdoc />
    public override VirtErrorCategory Category => VirtErrorCategory.ObjectNotFound;

    public BlockDeviceNotFoundException(string vmName, string what, string id, IReadOnlyList<string> existing)
        : base(vmName, $"VM '{vmName}' has no {what} '{id}'" + (existing.Count == 0 ? $" (it has none)." : $" (it has: {string.Join(", ", existing)})."))
    {
        Id = id;
    }

    public string Id { get; }
}
