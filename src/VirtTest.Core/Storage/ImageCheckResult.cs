using System.Globalization;
using System.Text.Json.Nodes;

namespace VirtTest.Core.Storage;

/// <summary>How <c>qemu-img check</c> may repair what it finds.</summary>
public enum ImageRepair
{
    /// <summary>Only report (the image is opened read-only).</summary>
    None,

    /// <summary><c>-r leaks</c>: free leaked clusters (harmless to the data).</summary>
    Leaks,

    /// <summary><c>-r all</c>: fix leaks and corruptions (may lose data that was already unreachable).</summary>
    All,
}

/// <summary>
/// The result of <c>qemu-img check --output=json</c>. The counts are those left after any
/// repair: <see cref="Corruptions"/> are metadata errors (data may be damaged), <see cref="Leaks"/>
/// are clusters allocated but unused (space lost, data safe), <see cref="CheckErrors"/> are
/// errors that kept the check from reading parts of the image.
/// </summary>
public sealed class ImageCheckResult
{
    public required string Path { get; init; }
    public required string Format { get; init; }
    public int Corruptions { get; init; }
    public int Leaks { get; init; }
    public int CheckErrors { get; init; }
    public int CorruptionsFixed { get; init; }
    public int LeaksFixed { get; init; }
    public long? TotalClusters { get; init; }
    public long? AllocatedClusters { get; init; }
    public long? FragmentedClusters { get; init; }
    public long? CompressedClusters { get; init; }
    public long? ImageEndOffset { get; init; }
    public ImageRepair Repair { get; init; }

    /// <summary>qemu-img's exit code: 0 clean, 2 corruptions, 3 leaks only, 1 check errors.</summary>
    public int ExitCode { get; init; }

    /// <summary>What qemu-img printed about each problem (its stderr lines: "ERROR cluster 10 refcount=0 reference=1", "Leaked cluster ...").</summary>
    public IReadOnlyList<string> Messages { get; init; } = Array.Empty<string>();

    /// <summary>No corruptions, no leaks, no check errors (after any repair).</summary>
    public bool IsClean => Corruptions == 0 && Leaks == 0 && CheckErrors == 0;

    /// <summary>One line: "4 corruptions, 1 leaked cluster" / "clean".</summary>
    public string Describe()
    {
        var parts = new List<string>();
        if (Corruptions > 0) parts.Add(Count(Corruptions, "corruption"));
        if (Leaks > 0) parts.Add(Count(Leaks, "leaked cluster"));
        if (CheckErrors > 0) parts.Add(Count(CheckErrors, "check error"));
        if (CorruptionsFixed > 0) parts.Add(Count(CorruptionsFixed, "corruption") + " fixed");
        if (LeaksFixed > 0) parts.Add(Count(LeaksFixed, "leaked cluster") + " fixed");
        return parts.Count == 0 ? "clean" : string.Join(", ", parts);
    }

    public override string ToString() => $"{Path}: {Describe()}";

    private static string Count(int n, string what) => string.Create(CultureInfo.InvariantCulture, $"{n} {what}{(n == 1 ? "" : "s")}");

    internal static ImageCheckResult FromJson(string json, string image, int exitCode, string stderr, ImageRepair repair)
    {
        if (JsonFields.ParseDocument(json, image, "check") is not JsonObject o)
            throw new StorageException(image, $"qemu-img check on '{image}' printed no JSON object.");
        int Int(string name) => (int)(JsonFields.Long(o, name) ?? 0);
        return new ImageCheckResult
        {
            Path = JsonFields.String(o, "filename") ?? image,
            Format = JsonFields.String(o, "format") ?? "",
            Corruptions = Int("corruptions"),
            Leaks = Int("leaks"),
            CheckErrors = Int("check-errors"),
            CorruptionsFixed = Int("corruptions-fixed"),
            LeaksFixed = Int("leaks-fixed"),
            TotalClusters = JsonFields.Long(o, "total-clusters"),
            AllocatedClusters = JsonFields.Long(o, "allocated-clusters"),
            FragmentedClusters = JsonFields.Long(o, "fragmented-clusters"),
            CompressedClusters = JsonFields.Long(o, "compressed-clusters"),
            ImageEndOffset = JsonFields.Long(o, "image-end-offset"),
            Repair = repair,
            ExitCode = exitCode,
            Messages = stderr.Replace("\r", "", StringComparison.Ordinal).Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries),
        };
    }
}
