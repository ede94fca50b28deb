using VirtTest.TestServers;

// The test servers as a program, for the Pester tests: prints "port=<n>" once listening and
// runs until its standard input closes (so it ends with the test that started it).
//   rss-files --root <folder> [--port <n>]    the RSS file-transfer server, <folder> as drive C:
//   cmd-shell [--port <n>] [--echo]           the agent's shell port in front of Wine's cmd.exe
if (args.Length == 0 || args[0] is not ("rss-files" or "cmd-shell"))
{
    Console.Error.WriteLine("usage: VirtTest.TestServers rss-files --root <folder> [--port <n>] | cmd-shell [--port <n>] [--echo]");
    return 2;
}
string? Option(string name) => Array.IndexOf(args, name) is var i and >= 0 && i + 1 < args.Length ? args[i + 1] : null;
var port = int.TryParse(Option("--port"), out var p) ? p : 0;
IAsyncDisposable server;
int listening;
if (args[0] == "rss-files")
{
    var root = Option("--root");
    if (root is null)
    {
        Console.Error.WriteLine("rss-files needs --root <folder>");
        return 2;
    }
    var files = RssFileServer.Start(root, port);
    server = files;
    listening = files.Port;
}
else
{
    var relay = await WineCmdRelay.CreateAsync(port);
    relay.EchoInput = args.Contains("--echo");
    relay.Listen();
    server = relay;
    listening = relay.Port;
}
Console.WriteLine($"port={listening}");
Console.Out.Flush();
try
{
    // Until the parent closes our stdin (or goes away).
    while (Console.In.ReadLine() is not null) { }
}
finally
{
    await server.DisposeAsync();
}
return 0;
