using System.Runtime.InteropServices;
using System.Text;

namespace VirtTest.Core.Config;

/// <summary>
/// Keeps parsed trees on disk so that parsing the same files again is a read of one file. An
/// entry is found by the engine's build, the home folder (includes may start with <c>~</c>) and
/// the paths and contents of the files given; it holds the paths and content hashes of every file
/// the parse read, includes included, and is used only while all of them are unchanged.
/// </summary>
/// <remarks>
/// The folder is <c>$XDG_CACHE_HOME/virttest/config</c> (default <c>~/.cache/virttest/config</c>).
/// An entry is written to a temporary file and renamed into place, so concurrent processes
/// never read half an entry; an unreadable, truncated or stale entry counts as absent and is
/// rewritten. The cache never causes an error: when it cannot be read or written, the files
/// are parsed as if there were none.
/// </remarks>
public sealed class ParseCache
{
    private static readonly byte[] Magic = "VTCFGC\u0004\u0000"u8.ToArray();
    private static readonly Lazy<string> EngineId = new(() =>
    {
        // The module version id changes with every build, so a changed engine never reads old
        // entries. (Not the assembly's version too: GetName() costs a millisecond or two at start.)
        return ContentHash.Hex(typeof(ParseCache).Module.ModuleVersionId.ToByteArray());
    });

    public ParseCache(string? directory = null) => Directory = directory ?? DefaultDirectory();

    /// <summary>Where the entries live.</summary>
    public string Directory { get; }

    /// <summary>The default folder: <c>$XDG_CACHE_HOME/virttest/config</c>, else <c>~/.cache/virttest/config</c>.</summary>
    public static string DefaultDirectory()
    {
        var xdg = Environment.GetEnvironmentVariable("XDG_CACHE_HOME");
        var root = !string.IsNullOrEmpty(xdg) && Path.IsPathRooted(xdg)
            ? xdg
            : Path.Combine(Environment.GetEnvironmentVariable("HOME") ?? Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache");
        return Path.Combine(root, "virttest", "config");
    }

    /// <summary>
    /// Parses <paramref name="files"/> into <paramref name="parser"/> (which must be fresh),
    /// from the cache when an entry for exactly these files is valid. Returns true on a cache hit.
    /// Config errors are thrown as by a normal parse (a failed parse is not cached).
    /// </summary>
    internal bool ParseFiles(ConfigParser parser, IReadOnlyList<string> files)
    {
        var fullPaths = files.Select(f => Path.GetFullPath(f)).ToList();
        string? key = null;
        try
        {
            key = KeyFor(fullPaths);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // A file that cannot be read: let the parser report it.
        }
        if (key is not null && TryLoad(key, out var root, out var names, out var sources))
        {
            parser.Restore(root, names, sources);
            return true;
        }
        foreach (var f in files) parser.ParseFile(f);
        if (key is not null) TryStore(key, parser);
        return false;
    }

    private string EntryPath(string key) => Path.Combine(Directory, key + ".tree");

    private static string KeyFor(IReadOnlyList<string> fullPaths)
    {
        var text = new StringBuilder();
        void Add(string s) => text.Append(s).Append('\0');
        Add(EngineId.Value);
        Add(Environment.GetEnvironmentVariable("HOME") ?? "");
        foreach (var p in fullPaths)
        {
            Add(p);
            Add(ContentHash.OfFile(p));
        }
        // The key text's UTF-16 bytes as they are (no encoding step on the way to the hash).
        return ContentHash.Of(MemoryMarshal.AsBytes(text.ToString().AsSpan()));
    }

    private bool TryLoad(string key, out Node root, out Func<List<string>> variantNames, out List<ConfigSource> sources)
    {
        root = null!;
        variantNames = null!;
        sources = new List<ConfigSource>();
        CacheBytes bytes;
        try
        {
            var path = EntryPath(key);
            if (!File.Exists(path)) return false;
            bytes = CacheBytes.ReadFile(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
        var loaded = false;
        var held = false;
        try
        {
            bytes.DangerousAddRef(ref held);
            var r = new CacheReader(bytes);
            if (!r.ReadBytes(Magic.Length).SequenceEqual(Magic)) return false;
            if (r.ReadString() != EngineId.Value || r.ReadString() != key) return false;
            // The hash of everything after it: node statements are read later, on first use,
            // so damage anywhere must be found now (and the entry ignored), not mid-expansion.
            var payloadHash = r.ReadString();
            if (ContentHash.Of(bytes.Span.Slice(r.Position)) != payloadHash) return false;
            for (var n = r.ReadInt32(); n > 0; n--) sources.Add(new ConfigSource(r.ReadString(), r.ReadString()));
            // Every file the parse read (includes too) must still be as it was.
            foreach (var s in sources)
            {
                if (!s.IsUnchanged()) return false;
            }
            // The variant names are for completion: read when asked for, not with every tree.
            var namesOffset = r.Position;
            var nameCount = r.ReadInt32();
            for (var n = nameCount; n > 0; n--) r.ReadStringBytes();
            var namesLength = r.Position - namesOffset;
            var entry = bytes;
            variantNames = () => ReadVariantNames(entry, namesOffset, namesLength);
            root = ParsedTreeFormat.Read(r, bytes);
            loaded = r.ReadString() == "end";
            return loaded;
        }
        catch (Exception e) when (e is EndOfStreamException or InvalidDataException or IOException or FormatException
                                      or ArgumentException or OverflowException or DecoderFallbackException)
        {
            return false;
        }
        finally
        {
            if (held) bytes.DangerousRelease();
            // No tree keeps the bytes: free them now rather than when the collector gets to them.
            if (!loaded) bytes.Dispose();
        }
    }

    private static List<string> ReadVariantNames(CacheBytes bytes, int offset, int length)
    {
        var held = false;
        try
        {
            bytes.DangerousAddRef(ref held);
            var r = new CacheReader(bytes, offset, length);
            var count = r.ReadInt32();
            var names = new List<string>(Math.Min(count, r.Remaining));
            for (var n = count; n > 0; n--) names.Add(r.ReadString());
            return names;
        }
        finally
        {
            if (held) bytes.DangerousRelease();
        }
    }

    private void TryStore(string key, ConfigParser parser)
    {
        string? temp = null;
        try
        {
            System.IO.Directory.CreateDirectory(Directory);
            using var payload = new ChunkedBuffer();
            using (var w = new BinaryWriter(payload, Encoding.UTF8, leaveOpen: true))
            {
                w.Write(parser.FilesRead.Count);
                foreach (var s in parser.FilesRead)
                {
                    w.Write(s.Path);
                    w.Write(s.Hash);
                }
                w.Write(parser.VariantNames.Count);
                foreach (var n in parser.VariantNames) w.Write(n);
                w.Flush();
                ParsedTreeFormat.Write(payload, parser.Root);
                w.Write("end");
            }
            temp = Path.Combine(Directory, key + "." + Environment.ProcessId + "." + Guid.NewGuid().ToString("N") + ".tmp");
            // Straight to the file, the entry's pieces one after another (see ChunkedBuffer).
            using (var file = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, bufferSize: 0))
            using (var w = new BinaryWriter(file, Encoding.UTF8, leaveOpen: true))
            {
                w.Write(Magic);
                w.Write(EngineId.Value);
                w.Write(key);
                w.Write(payload.Hash());
                w.Flush();
                payload.WriteTo(file);
            }
            File.Move(temp, EntryPath(key), overwrite: true);
            temp = null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // A cache that cannot be written only costs the next run a parse.
        }
        finally
        {
            if (temp is not null)
            {
                try { File.Delete(temp); } catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
            }
        }
    }
}
