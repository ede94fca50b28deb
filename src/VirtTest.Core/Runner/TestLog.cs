using System.Globalization;
using System.Text;

namespace VirtTest.Core.Runner;

/// <summary>A test's debug log: timestamped lines in <c>debug.log</c> of its folder; safe from any thread.</summary>
public sealed class TestLog : IDisposable
{
    private readonly StreamWriter _writer;
    private readonly object _gate = new();

    public TestLog(string path)
    {
        Path = path;
        _writer = new StreamWriter(new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.ReadWrite), new UTF8Encoding(false)) { AutoFlush = true };
    }

    public string Path { get; }

    public void Write(string message, string level = "INFO")
    {
        var stamp = DateTimeOffset.Now.ToString("HH:mm:ss.fff", CultureInfo.InvariantCulture);
        lock (_gate)
        {
            try
            {
                foreach (var line in message.Replace("\r", "").Split('\n'))
                    _writer.WriteLine($"{stamp} {level,-7} {line}");
            }
            catch (ObjectDisposedException) { /* a late write after the test ended */ }
        }
    }

    public void Dispose()
    {
        lock (_gate) _writer.Dispose();
    }
}
