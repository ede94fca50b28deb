namespace VirtTest.Core.Transfer;

/// <summary>
/// The file-transfer protocol of the remote shell agent that runs in Windows guests (rss.exe,
/// TCP port 10023), as measured against the real server.
/// </summary>
/// <remarks>
/// <para>Framing: a <b>msg</b> is a 4-byte little-endian unsigned integer; a <b>packet</b> is a
/// 4-byte little-endian length and that many bytes.</para>
/// <para>Handshake: the server sends <see cref="Magic"/>; the client answers with its chunk
/// size (512 to 1 MiB) and <see cref="Upload"/> or <see cref="Download"/>, which fixes the
/// direction for the whole connection.</para>
/// <para>Entries: a file is <see cref="CreateFile"/>, a packet with its name, then data
/// packets of exactly the chunk size; a shorter packet (possibly empty) ends the file. A folder
/// is <see cref="CreateDir"/>, a name packet, its entries, then <see cref="LeaveDir"/>.</para>
/// <para>Upload: <see cref="SetPath"/> and a path packet, the entries, <see cref="Done"/>; the
/// server answers <see cref="Ok"/>. When the path is an existing folder the entries go into
/// it, otherwise the path is the name of the (single) file uploaded.
/// Download: <see cref="SetPath"/> and a path or wildcard pattern; the server sends the
/// matching entries and <see cref="Done"/> (only <see cref="Done"/> when nothing matches).</para>
/// <para>Paths are at most 511 bytes; the server expands environment variables in them
/// (<c>%SystemDrive%</c>). On any failure the server sends <see cref="Error"/> and a packet with
/// its message, then closes the connection; when it closes with data of the client still
/// unread, the client may see a connection reset instead of the message.</para>
/// </remarks>
public static class RssProtocol
{
    public const uint Magic = 0x525353;
    public const uint Ok = 1;
    public const uint Error = 2;
    public const uint Upload = 3;
    public const uint Download = 4;
    public const uint SetPath = 5;
    public const uint CreateFile = 6;
    public const uint CreateDir = 7;
    public const uint LeaveDir = 8;
    public const uint Done = 9;

    public const int DefaultPort = 10023;
    public const int MinChunkSize = 512;
    public const int MaxChunkSize = 1024 * 1024;
    public const int DefaultChunkSize = 64 * 1024;
    /// <summary>The server's limit for a path (bytes).</summary>
    public const int MaxPathBytes = 511;

    /// <summary>A readable name for a message code (for protocol errors).</summary>
    public static string Name(uint msg) => msg switch
    {
        Magic => "MAGIC",
        Ok => "OK",
        Error => "ERROR",
        Upload => "UPLOAD",
        Download => "DOWNLOAD",
        SetPath => "SET_PATH",
        CreateFile => "CREATE_FILE",
        CreateDir => "CREATE_DIR",
        LeaveDir => "LEAVE_DIR",
        Done => "DONE",
        _ => $"0x{msg:x}",
    };
}
