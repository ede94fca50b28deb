using System.ComponentModel;
using System.Diagnostics;
using System.Text;

namespace VirtTest.Core.Storage;

/// <summary>What one qemu-img run printed and how it ended.</summary>
internal sealed record QemuImgOutput(int ExitCode, string StandardOutput, string StandardError);

/// <summary>
/// Runs qemu-img with an argument list (no shell), reading stdout as it comes so that
/// <c>-p</c> progress reaches the caller while the work goes on. Cancelling kills qemu-img
/// and waits for it to end.
/// </summary>
internal static class QemuImgProcess
{
    public static async Task<QemuImgOutput> RunAsync(string binary, IReadOnlyList<string> arguments, string image,
        Action<double>? onProgress, CancellationToken ct)
    {
        ct.ThrowIfCancellationRequested();
        var psi = new ProcessStartInfo(binary)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            StandardOutputEncoding = Encoding.UTF8,
            StandardErrorEncoding = Encoding.UTF8,
        };
        foreach (var a in arguments) psi.ArgumentList.Add(a);
        Process process;
        try
        {
            process = Process.Start(psi) ?? throw new QemuImgNotFoundException(image, binary);
        }
        catch (Win32Exception ex)
        {
            throw new QemuImgNotFoundException(image, binary, ex);
        }
        using (process)
        {
            // qemu-img never reads stdin; closing it keeps an interactive prompt (an encryption
            // secret) from waiting forever.
            process.StandardInput.Close();
            var stderrTask = process.StandardError.ReadToEndAsync(CancellationToken.None);
            var stdoutTask = ReadStdoutAsync(process.StandardOutput, onProgress);
            try
            {
                await process.WaitForExitAsync(ct).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                try { process.Kill(entireProcessTree: true); } catch (InvalidOperationException) { /* already gone */ }
                await process.WaitForExitAsync(CancellationToken.None).ConfigureAwait(false);
                throw;
            }
            var stdout = await stdoutTask.ConfigureAwait(false);
            var stderr = await stderrTask.ConfigureAwait(false);
            return new QemuImgOutput(process.ExitCode, stdout, stderr);
        }
    }

    private static async Task<string> ReadStdoutAsync(StreamReader reader, Action<double>? onProgress)
    {
        if (onProgress is null) return await reader.ReadToEndAsync(CancellationToken.None).ConfigureAwait(false);
        var parser = new QemuImgProgressParser();
        var all = new StringBuilder();
        var buffer = new char[4096];
        int n;
        while ((n = await reader.ReadAsync(buffer.AsMemory(), CancellationToken.None).ConfigureAwait(false)) > 0)
        {
            all.Append(buffer, 0, n);
            if (parser.Feed(buffer.AsSpan(0, n)) is { } percent) onProgress(percent);
        }
        return all.ToString();
    }
}
