using System.Text.Json.Nodes;

namespace VirtTest.Core.Storage;

/// <summary>
/// An internal snapshot of an image (qcow2 keeps them inside the file), as
/// <c>qemu-img info --output=json</c> lists it. <see cref="ImagePath"/> names its image, so
/// a snapshot piped to Restore- or Remove-VirtImageSnapshot finds both.
/// </summary>
public sealed class ImageSnapshot
{
    public required string ImagePath { get; init; }

    /// <summary>qemu's numeric id, as a string ("1", "2", ...).</summary>
    public required string Id { get; init; }

    public required string Name { get; init; }

    /// <summary>When the snapshot was taken (UTC).</summary>
    public DateTimeOffset Date { get; init; }

    /// <summary>Bytes of saved VM state (0 for a disk-only snapshot, as qemu-img takes them).</summary>
    public long VmStateSize { get; init; }

    /// <summary>The guest clock at the snapshot (zero for one taken by qemu-img).</summary>
    public TimeSpan VmClock { get; init; }

    public override string ToString() => $"{Name} (id {Id}) of {ImagePath}";

    internal static ImageSnapshot FromJson(JsonObject o, string imagePath)
    {
        var seconds = JsonFields.Long(o, "date-sec") ?? 0;
        var nanos = JsonFields.Long(o, "date-nsec") ?? 0;
        var clockSeconds = JsonFields.Long(o, "vm-clock-sec") ?? 0;
        var clockNanos = JsonFields.Long(o, "vm-clock-nsec") ?? 0;
        return new ImageSnapshot
        {
            ImagePath = imagePath,
            Id = JsonFields.String(o, "id") ?? "",
            Name = JsonFields.String(o, "name") ?? "",
            Date = DateTimeOffset.FromUnixTimeSeconds(seconds).AddTicks(nanos / 100),
            VmStateSize = JsonFields.Long(o, "vm-state-size") ?? 0,
            VmClock = TimeSpan.FromSeconds(clockSeconds) + TimeSpan.FromTicks(clockNanos / 100),
        };
    }
}
