using System.Collections.Concurrent;
using System.Diagnostics;
using System.Runtime.InteropServices;
using VirtTest.Core.Backends.Qemu;
using Xunit.Abstractions;

namespace VirtTest.Core.Tests.Backends.Qemu;

/// <summary>
/// A real, paused QEMU (no guest, no disks) with a connected <see cref="QmpClient"/>. Disposing
/// it kills the process and deletes its folder, whether the test passed or not.
/// </summary>
internal sealed class QemuUnderTest : IAsyncDisposable
{
    public const string Executable = "qemu-system-x86_64";

    private readonly SocketTempDir _dir;
    private readonly Process _process;
    private readonly ConcurrentQueue<string> _stderr;

    private QemuUnderTest(SocketTempDir dir, Process process, ConcurrentQueue<string> stderr, QmpClient client)
    {
        _dir = dir;
        _process = process;
        _stderr = stderr;
        Client = client;
    }

    public QmpClient Client { get; }

    public Process Process => _process;

    public static async Task<QemuUnderTest> StartAsync(ITestOutputHelper output)
    {
        var executable = FindOnPath(Executable) ?? throw new InvalidOperationException(
            $"{Executable} is not on PATH. The Category=Qemu tests need it: install QEMU (Debian: apt-get install qemu-system-x86).");

        var dir = new SocketTempDir();
        var socketPath = dir.File("qmp.sock");
        var start = new ProcessStartInfo(executable)
        {
            RedirectStandardError = true,
            RedirectStandardOutput = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (var argument in new[]
                 {
                     "-machine", "pc", "-accel", "tcg", "-nodefaults", "-display", "none", "-S", "-m", "64",
                     "-qmp", $"unix:{socketPath},server=on,wait=off",
                 })
            start.ArgumentList.Add(argument);

        var stderr = new ConcurrentQueue<string>();
        Process? process = null;
        try
        {
            process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {executable}");
            process.ErrorDataReceived += (_, e) => { if (e.Data is not null) stderr.Enqueue(e.Data); };
            process.OutputDataReceived += (_, _) => { };
            process.BeginErrorReadLine();
            process.BeginOutputReadLine();

            var client = await ConnectAsync(socketPath, process, stderr, output);
            return new QemuUnderTest(dir, process, stderr, client);
        }
        catch
        {
            if (process is not null) KillAndWait(process);
            process?.Dispose();
            dir.Dispose();
            throw;
        }
    }

    private static async Task<QmpClient> ConnectAsync(string socketPath, Process process, ConcurrentQueue<string> stderr, ITestOutputHelper output)
    {
        try
        {
            var client = await QmpClient.ConnectAsync(socketPath, TimeSpan.FromSeconds(10), trace: line => output.WriteLine(line));
            client.DefaultTimeout = TimeSpan.FromSeconds(10);
            return client;
        }
        catch (Exception ex)
        {
            var exited = process.HasExited ? $"QEMU exited with code {process.ExitCode}" : "QEMU is running";
            throw new InvalidOperationException($"QMP connection to QEMU failed ({exited}); stderr: {string.Join(" | ", stderr)}", ex);
        }
    }

    /// <summary>Sends SIGSTOP: QEMU stays alive but answers nothing, so a command sent now stays pending.</summary>
    public void Freeze()
    {
        const int SigStop = 19; // Linux
        if (SendSignal(_process.Id, SigStop) != 0) throw new InvalidOperationException($"kill(SIGSTOP) failed: errno {Marshal.GetLastPInvokeError()}");
    }

    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int SendSignal(int pid, int signal);

    /// <summary>Sends SIGKILL, as when QEMU crashes.</summary>
    public void Kill() => KillAndWait(_process);

    public async ValueTask DisposeAsync()
    {
        try
        {
            await Client.DisposeAsync();
        }
        finally
        {
            KillAndWait(_process);
            _process.Dispose();
            _dir.Dispose();
        }
    }

    public string StandardError => string.Join(Environment.NewLine, _stderr);

    private static void KillAndWait(Process process)
    {
        try
        {
            if (!process.HasExited) process.Kill(entireProcessTree: true);
            process.WaitForExit(10_000);
        }
        catch (InvalidOperationException)
        {
            // Already gone.
        }
    }

    private static string? FindOnPath(string name) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "")
            .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Select(folder => Path.Combine(folder, name))
            .FirstOrDefault(File.Exists);
}
