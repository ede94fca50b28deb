using System.Text;
using VirtTest.Core.Backends.Xen;

namespace VirtTest.Core.Tests.Backends.Xen;

/// <summary>
/// A fake <see cref="IXlRunner"/> that records every xl command line instead of running
/// one (no Xen host is needed) and answers from per-subcommand handlers (default: exit 0,
/// no output).
/// </summary>
internal sealed class RecordingXlRunner : IXlRunner
{
    private readonly object _gate = new();
    private readonly List<string[]> _calls = new();
    private readonly List<string[]> _opened = new();
    private readonly Dictionary<string, Func<IReadOnlyList<string>, XlResult>> _handlers = new(StringComparer.Ordinal);

    public static XlResult Ok(string stdout = "") => new(0, stdout, "");
    public static XlResult Fail(int code, string stderr) => new(code, "", stderr);

    /// <summary>Answers every call of <paramref name="subcommand"/> (e.g. "list") with this handler; it may throw.</summary>
    public RecordingXlRunner On(string subcommand, Func<IReadOnlyList<string>, XlResult> handler)
    {
        lock (_gate) _handlers[subcommand] = handler;
        return this;
    }

    /// <summary>The commands run so far, each as "sub arg arg".</summary>
    public IReadOnlyList<string> Commands { get { lock (_gate) return _calls.Select(c => string.Join(' ', c)).ToList(); } }
    public IReadOnlyList<string[]> Calls { get { lock (_gate) return _calls.ToList(); } }
    public IReadOnlyList<string> OpenedCommands { get { lock (_gate) return _opened.Select(c => string.Join(' ', c)).ToList(); } }

    /// <summary>What an opened stream yields when read.</summary>
    public string ConsoleOutput { get; set; } = "";

    public Task<XlResult> RunAsync(IReadOnlyList<string> arguments, TimeSpan timeout, CancellationToken ct)
    {
        Func<IReadOnlyList<string>, XlResult>? handler;
        lock (_gate)
        {
            _calls.Add(arguments.ToArray());
            _handlers.TryGetValue(arguments[0], out handler);
        }
        return Task.FromResult(handler is null ? Ok() : handler(arguments));
    }

    public Stream Open(IReadOnlyList<string> arguments)
    {
        lock (_gate) _opened.Add(arguments.ToArray());
        return new MemoryStream(Encoding.UTF8.GetBytes(ConsoleOutput));
    }
}
