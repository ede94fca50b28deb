using System.ComponentModel;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using VirtTest.Core.Transfer;
using VirtTest.Core.Vm;

namespace VirtTest.Core.Backends.Xen;

/// <summary>
/// The <see cref="IXlRunner"/> for a dom0 running VirtTest itself: starts <c>xl</c> with
/// <see cref="ProcessStartInfo.ArgumentList"/> (no shell), captures stdout and stderr, and kills
/// it when the timeout passes or the caller cancels. <c>xl console</c> runs under util-linux
/// <c>script</c>, which gives it the pseudo-terminal it needs.
/// </summary>
public sealed class XlProcessRunner : IXlRunner
{
    /// <summary>util-linux script(1): runs a command on a new pseudo-terminal.</summary>
    private const string Script = "script";

    /// <param name="xl">The program: a name looked up on PATH (default <c>xl</c>) or a path.</param>
    public XlProcessRunner(string xl = "xl") => Xl = xl;

    public string Xl { get; }

    /// <summary>Null: xl runs on this machine.</summary>
    public string? RemoteHost => null;

    /// <summary>The full path of xl, or null when it is not installed.</summary>
    public string? Resolve()
    {
        if (Xl.Contains('/')) return File.Exists(Xl) ? Path.GetFullPath(Xl) : null;
        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            var candidate = Path.Combine(dir, Xl);
            if (File.Exists(candidate)) return candidate;
        }
        return null;
    }

    private ProcessStartInfo StartInfo(IReadOnlyList<string> arguments, bool stdin)
    {
        var path = Resolve() ?? throw new XenToolstackNotFoundException(arguments, Xl);
        var psi = new ProcessStartInfo(path) { UseShellExecute = false, RedirectStandardInput = stdin, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in arguments) psi.ArgumentList.Add(a);
        return psi;
    }

    /// <summary>xl under script(1): -q quiet, -f flush at once, -e its exit status, -c the command (quoted for script's shell), no typescript file.</summary>
    private ProcessStartInfo TerminalStartInfo(IReadOnlyList<string> arguments)
    {
        var path = Resolve() ?? throw new XenToolstackNotFoundException(arguments, Xl);
        var psi = new ProcessStartInfo(Script)
        {
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var a in new[] { "-q", "-f", "-e", "-c", ShellQuote.Command(arguments.Prepend(path)), "/dev/null" }) psi.ArgumentList.Add(a);
        return psi;
    }

    public async Task<XlResult> RunAsync(IReadOnlyList<string> arguments, TimeSpan timeout, CancellationToken ct)
    {
        var psi = StartInfo(arguments, stdin: false);
        using var process = new Process { StartInfo = psi };
        try
        {
            process.Start();
        }
        catch (Win32Exception ex)
        {
            throw new XenToolstackNotFoundException(arguments, psi.FileName, ex);
        }
        var stdout = process.StandardOutput.ReadToEndAsync(CancellationToken.None);
        var stderr = process.StandardError.ReadToEndAsync(CancellationToken.None);
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(ct);
        cts.CancelAfter(timeout);
        try
        {
            await process.WaitForExitAsync(cts.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            Kill(process);
            if (ct.IsCancellationRequested) throw;
            var err = await SafeResult(stderr).ConfigureAwait(false);
            throw new XenToolstackException(arguments, null, err,
                string.Create(CultureInfo.InvariantCulture, $"did not finish within {timeout.TotalSeconds:0.###} s and was killed"));
        }
        return new XlResult(process.ExitCode, await stdout.ConfigureAwait(false), await stderr.ConfigureAwait(false));
    }

    private static async Task<string> SafeResult(Task<string> task)
    {
        try { return await task.WaitAsync(TimeSpan.FromSeconds(2)).ConfigureAwait(false); }
        catch (Exception ex) when (ex is TimeoutException or IOException or ObjectDisposedException) { return ""; }
    }

    private static void Kill(Process process)
    {
        try
        {
            if (!process.HasExited) process.Kill(entireProcessTree: true);
            process.WaitForExit(10_000);
        }
        catch (InvalidOperationException) { /* already reaped */ }
    }

    public Task<Stream> OpenTerminalAsync(IReadOnlyList<string> arguments, CancellationToken ct)
    {
        var psi = TerminalStartInfo(arguments);
        var process = new Process { StartInfo = psi };
        try
        {
            process.Start();
        }
        catch (Win32Exception ex)
        {
            process.Dispose();
            throw new XenToolstackException(arguments, null, "", $"could not run: '{Script}' (util-linux, Debian package bsdutils) was not found on PATH; xl console needs it for a terminal", ex);
        }
        return Task.FromResult<Stream>(new ProcessStream(process));
    }

    public Task<IXenHostFolder> CreateFolderAsync(string domainName, string local, CancellationToken ct) =>
        Task.FromResult<IXenHostFolder>(new LocalFolder(local));

    /// <summary>xl runs here: the VM's runtime directory is the folder, and files are used where they are.</summary>
    public async Task<XenHostFile?> ProbeFileAsync(string path, int headLength, CancellationToken ct)
    {
        var info = new FileInfo(path);
        if (!info.Exists) return null;
        var head = new byte[Math.Min(headLength, info.Length)];
        await using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, 4096, useAsync: true);
        await stream.ReadExactlyAsync(head, ct).ConfigureAwait(false);
        return new XenHostFile(info.Length, head);
    }

    private sealed class LocalFolder : IXenHostFolder
    {
        public LocalFolder(string path) => Path = path;

        public string Path { get; }

        public async Task<string> WriteTextAsync(string fileName, string text, CancellationToken ct)
        {
            var file = System.IO.Path.Combine(Path, fileName);
            await File.WriteAllTextAsync(file, text, ct).ConfigureAwait(false);
            RuntimeDirectory.MakePrivate(file);
            return file;
        }

        public Task<string> CopyFileAsync(string localPath, string fileName, CancellationToken ct) => Task.FromResult(System.IO.Path.GetFullPath(localPath));

        /// <summary>The runtime directory goes with the VM.</summary>
        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }

    /// <summary>A child process as a duplex stream: reads its stdout, writes its stdin; disposing ends it.</summary>
    private sealed class ProcessStream : DuplexConsoleStream
    {
        private readonly Process _process;
        private readonly Stream _out;
        private readonly Stream _in;
        private readonly StringBuilder _stderr = new();
        private int _disposed;

        public ProcessStream(Process process)
        {
            _process = process;
            _out = process.StandardOutput.BaseStream;
            _in = process.StandardInput.BaseStream;
            process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (_stderr) { if (_stderr.Length < 16 * 1024) _stderr.AppendLine(e.Data); } };
            process.BeginErrorReadLine();
        }

        public override void Flush() => _in.Flush();
        public override Task FlushAsync(CancellationToken cancellationToken) => _in.FlushAsync(cancellationToken);
        public override int Read(byte[] buffer, int offset, int count) => _out.Read(buffer, offset, count);
        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) => _out.ReadAsync(buffer, cancellationToken);
        public override void Write(byte[] buffer, int offset, int count) { _in.Write(buffer, offset, count); _in.Flush(); }
        public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            await _in.WriteAsync(buffer, cancellationToken).ConfigureAwait(false);
            await _in.FlushAsync(cancellationToken).ConfigureAwait(false);
        }

        protected override void Dispose(bool disposing)
        {
            if (disposing && Interlocked.Exchange(ref _disposed, 1) == 0)
            {
                try { _in.Dispose(); } catch (IOException) { }
                Kill(_process);
                _process.Dispose();
            }
            base.Dispose(disposing);
        }
    }
}
