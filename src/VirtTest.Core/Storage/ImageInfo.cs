using System.Text.Json.Nodes;

namespace VirtTest.Core.Storage;

/// <summary>
/// What <c>qemu-img info --output=json</c> says about one image: format, sizes, backing file,
/// internal snapshots and the format's own fields (qcow2: compat, lazy refcounts, corrupt).
/// In a backing chain <see cref="Depth"/> is 0 for the image asked for, 1 for its backing
/// file, and so on.
/// </summary>
public sealed class ImageInfo
{
    /// <summary>The image file (full path).</summary>
    public required string Path { get; init; }

    public required string Format { get; init; }

    /// <summary>The disk size the guest sees, in bytes.</summary>
    public long VirtualSize { get; init; }

    /// <summary>Bytes the file takes on the host (allocated blocks); null when unknown.</summary>
    public long? ActualSize { get; init; }

    public long? ClusterSize { get; init; }

    /// <summary>The backing file as the image's header records it (possibly relative to the image's folder).</summary>
    public string? BackingFile { get; init; }

    /// <summary>The backing file's path as qemu-img resolves it.</summary>
    public string? FullBackingFile { get; init; }

    public string? BackingFormat { get; init; }

    public bool DirtyFlag { get; init; }

    public bool Encrypted { get; init; }

    /// <summary>qcow2's corrupt bit (QEMU set it after finding damaged metadata); null for other formats.</summary>
    public bool? Corrupt { get; init; }

    /// <summary>qcow2 compatibility level ("1.1", "0.10"); null for other formats.</summary>
    public string? Compat { get; init; }

    /// <summary>qcow2 lazy refcounts; null for other formats.</summary>
    public bool? LazyRefcounts { get; init; }

    public IReadOnlyList<ImageSnapshot> Snapshots { get; init; } = Array.Empty<ImageSnapshot>();

    /// <summary>Position in a backing chain: 0 for the image asked for.</summary>
    public int Depth { get; init; }

    /// <summary>The format's own fields (format-specific.data), as plain values.</summary>
    public IReadOnlyDictionary<string, object?> FormatSpecific { get; init; } = new Dictionary<string, object?>();

    public override string ToString() => $"{Path} ({Format}, {ImageSize.Format(VirtualSize)})";

    internal static ImageInfo FromJson(JsonObject o, int depth)
    {
        var path = JsonFields.String(o, "filename") ?? "";
        var specific = o["format-specific"] is JsonObject fs && fs["data"] is JsonObject data ? data : null;
        return new ImageInfo
        {
            Path = path,
            Format = JsonFields.String(o, "format") ?? "",
            VirtualSize = JsonFields.Long(o, "virtual-size") ?? 0,
            ActualSize = JsonFields.Long(o, "actual-size"),
            ClusterSize = JsonFields.Long(o, "cluster-size"),
            BackingFile = JsonFields.String(o, "backing-filename"),
            FullBackingFile = JsonFields.String(o, "full-backing-filename"),
            BackingFormat = JsonFields.String(o, "backing-filename-format"),
            DirtyFlag = JsonFields.Bool(o, "dirty-flag") ?? false,
            Encrypted = JsonFields.Bool(o, "encrypted") ?? false,
            Corrupt = specific is null ? null : JsonFields.Bool(specific, "corrupt"),
            Compat = specific is null ? null : JsonFields.String(specific, "compat"),
            LazyRefcounts = specific is null ? null : JsonFields.Bool(specific, "lazy-refcounts"),
            Snapshots = o["snapshots"] is JsonArray snaps
                ? snaps.OfType<JsonObject>().Select(s => ImageSnapshot.FromJson(s, path)).ToList()
                : Array.Empty<ImageSnapshot>(),
            Depth = depth,
            FormatSpecific = specific is null
                ? new Dictionary<string, object?>()
                : (IReadOnlyDictionary<string, object?>)JsonFields.ToPlain(specific)!,
        };
    }

    /// <summary>Reads the output of <c>qemu-img info --output=json</c>: one object, or an array with <c>--backing-chain</c>.</summary>
    public static IReadOnlyList<ImageInfo> ParseJson(string json, string image)
    {
        var node = JsonFields.ParseDocument(json, image, "info");
        return node switch
        {
            JsonArray chain => chain.OfType<JsonObject>().Select((o, i) => FromJson(o, i)).ToList(),
            JsonObject one => new[] { FromJson(one, 0) },
            _ => throw new StorageException(image, $"qemu-img info on '{image}' printed neither an object nor an array."),
        };
    }
}
