using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;
using VirtTest.Core.Backends.Qemu;

namespace VirtTest.Core.Tests.Backends.Qemu;

/// <summary>
/// The server side of a QMP connection, scripted by a test: listens on a Unix socket, sends
/// the lines the test chooses (ending in CRLF, as QEMU does) and hands back what the client sent.
/// </summary>
internal sealed class FakeQmpPeer : IAsyncDisposable
{
    public const string Greeting =
        """{"QMP": {"version": {"qemu": {"micro": 3, "minor": 2, "major": 7}, "package": "fake-qemu 1.0"}, "capabilities": ["oob"]}}""";

    private static readonly TimeSpan ReceiveTimeout = TimeSpan.FromSeconds(5);

    private readonly Socket _listener;
    private Socket? _connection;
    private NetworkStream? _stream;
    private StreamReader? _reader;

    private FakeQmpPeer(Socket listener, string socketPath)
    {
        _listener = listener;
        SocketPath = socketPath;
    }

    public string SocketPath { get; }

    public static FakeQmpPeer Listen(string socketPath)
    {
        var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        listener.Bind(new UnixDomainSocketEndPoint(socketPath));
        listener.Listen(1);
        return new FakeQmpPeer(listener, socketPath);
    }

    public async Task AcceptAsync()
    {
        using var deadline = new CancellationTokenSource(ReceiveTimeout);
        _connection = await _listener.AcceptAsync(deadline.Token);
        _stream = new NetworkStream(_connection, ownsSocket: true);
        _reader = new StreamReader(_stream, Encoding.UTF8, leaveOpen: true);
    }

    public async Task SendLineAsync(string line)
    {
        await Stream.WriteAsync(Encoding.UTF8.GetBytes(line + "\r\n"));
        await Stream.FlushAsync();
    }

    /// <summary>The next line the client sent, parsed.</summary>
    public async Task<JsonObject> ReceiveAsync()
    {
        using var deadline = new CancellationTokenSource(ReceiveTimeout);
        var line = await Reader.ReadLineAsync(deadline.Token) ?? throw new InvalidOperationException("the client closed the connection");
        return JsonNode.Parse(line)!.AsObject();
    }

    /// <summary>Receives the next command and checks its name.</summary>
    public async Task<JsonObject> ReceiveCommandAsync(string expectedCommand)
    {
        var command = await ReceiveAsync();
        Assert.Equal(expectedCommand, (string?)command["execute"]);
        return command;
    }

    public Task ReturnAsync(JsonObject command, string returnJson) =>
        SendLineAsync($$"""{"return": {{returnJson}}, "id": {{command["id"]!.ToJsonString()}}}""");

    public Task FailAsync(JsonObject command, string errorClass, string description) =>
        SendLineAsync(new JsonObject
        {
            ["id"] = command["id"]!.DeepClone(),
            ["error"] = new JsonObject { ["class"] = errorClass, ["desc"] = description },
        }.ToJsonString());

    public Task SendEventAsync(string name, string? dataJson = null, long seconds = 1_700_000_000, long microseconds = 250_000) =>
        SendLineAsync(dataJson is null
            ? $$"""{"timestamp": {"seconds": {{seconds}}, "microseconds": {{microseconds}}}, "event": "{{name}}"}"""
            : $$"""{"timestamp": {"seconds": {{seconds}}, "microseconds": {{microseconds}}}, "event": "{{name}}", "data": {{dataJson}}}""");

    /// <summary>Hangs up, as a dying QEMU does.</summary>
    public void CloseConnection()
    {
        _reader?.Dispose();
        _stream?.Dispose();
    }

    public ValueTask DisposeAsync()
    {
        CloseConnection();
        _listener.Dispose();
        return ValueTask.CompletedTask;
    }

    private NetworkStream Stream => _stream ?? throw new InvalidOperationException("no client connected yet");
    private StreamReader Reader => _reader ?? throw new InvalidOperationException("no client connected yet");
}

/// <summary>A connected client and its fake peer in a temp folder, all released at the end of the test.</summary>
internal sealed class FakeQmpConnection : IAsyncDisposable
{
    private readonly SocketTempDir _dir;

    private FakeQmpConnection(SocketTempDir dir, FakeQmpPeer peer, QmpClient client, JsonObject capabilitiesCommand)
    {
        _dir = dir;
        Peer = peer;
        Client = client;
        CapabilitiesCommand = capabilitiesCommand;
    }

    public FakeQmpPeer Peer { get; }
    public QmpClient Client { get; }

    /// <summary>What the client sent to negotiate capabilities.</summary>
    public JsonObject CapabilitiesCommand { get; }

    public static async Task<FakeQmpConnection> OpenAsync(Action<string>? trace = null)
    {
        var dir = new SocketTempDir();
        FakeQmpPeer? peer = null;
        try
        {
            peer = FakeQmpPeer.Listen(dir.File("qmp.sock"));
            var connecting = QmpClient.ConnectAsync(peer.SocketPath, TimeSpan.FromSeconds(5), trace: trace);
            await peer.AcceptAsync();
            await peer.SendLineAsync(FakeQmpPeer.Greeting);
            var capabilities = await peer.ReceiveCommandAsync("qmp_capabilities");
            await peer.ReturnAsync(capabilities, "{}");
            var client = await connecting;
            client.DefaultTimeout = TimeSpan.FromSeconds(5); // a broken test fails, it does not hang
            return new FakeQmpConnection(dir, peer, client, capabilities);
        }
        catch
        {
            if (peer is not null) await peer.DisposeAsync();
            dir.Dispose();
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await Client.DisposeAsync();
        await Peer.DisposeAsync();
        _dir.Dispose();
    }
}
