namespace VirtTest.Core.Tests.Storage;

/// <summary>A temporary folder for image files, removed with everything in it on dispose.</summary>
internal sealed class ImageDir : IDisposable
{
    public ImageDir() => Directory.CreateDirectory(Path);

    public string Path { get; } = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "vt-img-" + Guid.NewGuid().ToString("N")[..12]);

    public string File(string name) => System.IO.Path.Combine(Path, name);

    /// <summary>A raw file of pseudo-random data (same seed, same bytes), with a zeroed stretch so images have holes.</summary>
    public string RandomRaw(string name, int bytes, int seed = 1)
    {
        var data = new byte[bytes];
        new Random(seed).NextBytes(data);
        Array.Clear(data, bytes / 4, bytes / 4);
        var file = File(name);
        System.IO.File.WriteAllBytes(file, data);
        return file;
    }

    /// <summary>A large raw file of <paramref name="mib"/> MiB of non-zero data (one random MiB, repeated), written in chunks.</summary>
    public string LargeRaw(string name, int mib)
    {
        var chunk = new byte[1 << 20];
        new Random(mib).NextBytes(chunk);
        var file = File(name);
        using var stream = System.IO.File.Create(file);
        for (var i = 0; i < mib; i++) stream.Write(chunk);
        return file;
    }

    public void Dispose()
    {
        if (Directory.Exists(Path)) Directory.Delete(Path, recursive: true);
    }
}
