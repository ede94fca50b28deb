using System.Diagnostics;
using System.Globalization;
using System.Text;
using VirtTest.Core.Config;

namespace VirtTest.Core.Runner;

/// <summary>
/// Host commands a test's params ask for around it (established names): <c>pre_command</c> before
/// its VMs are set up, <c>post_command</c> after they were handled, each with
/// <c>&lt;stage&gt;_command_timeout</c> (seconds, default 600), <c>&lt;stage&gt;_command_noncritical</c>
/// (a failure is logged, not an error) and <c>&lt;stage&gt;_command_shell</c>. The command is split
/// into an argument list like shell words and run directly; only with <c>_shell = yes</c> does
/// <c>/bin/sh -c</c> run it. It runs in the test's folder, its output goes to the debug log, and
/// the test's params are in its environment as <c>VIRTTEST_PARAM_&lt;KEY&gt;</c> (never a password).
/// </summary>
public static class HostCommand
{
    public const string Pre = "pre";
    public const string Post = "post";
    private static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(600);

    /// <summary>Runs the stage's command if the params have one. Throws <see cref="HostCommandException"/> when a critical one fails.</summary>
    public static async Task RunAsync(VirtParams p, string stage, TestLog log, string workingDirectory, CancellationToken ct)
    {
        var param = stage + "_command";
        if (p.Get(param) is not { Length: > 0 } command) return;
        var seconds = p.GetDouble(param + "_timeout", DefaultTimeout.TotalSeconds);
        var timeout = seconds > 0 ? TimeSpan.FromSeconds(seconds) : DefaultTimeout;
        var noncritical = p.GetBool(param + "_noncritical");
        try
        {
            var arguments = p.GetBool(param + "_shell") ? new[] { "/bin/sh", "-c", command } : Split(param, command);
            log.Write(string.Create(CultureInfo.InvariantCulture, $"{param}: {command} (timeout {timeout.TotalSeconds:0} s)"));
            await RunProcessAsync(p, param, command, arguments, timeout, log, workingDirectory, ct).ConfigureAwait(false);
        }
        catch (HostCommandException ex) when (noncritical)
        {
            log.Write($"{ex.Message} ({param}_noncritical = yes: going on)", "WARN");
        }
    }

    private static IReadOnlyList<string> Split(string param, string command)
    {
        try
        {
            var words = ShellWords.Split(command);
            return words.Count > 0 ? words : throw new HostCommandException(param, command, "it has no words");
        }
        catch (FormatException ex)
        {
            throw new HostCommandException(param, command, ex.Message + $" (set {param}_shell = yes to have /bin/sh parse it)");
        }
    }

    private static async Task RunProcessAsync(VirtParams p, string param, string command, IReadOnlyList<string> arguments, TimeSpan timeout, TestLog log,
        string workingDirectory, CancellationToken ct)
    {
        var psi = new ProcessStartInfo(arguments[0])
        {
            UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true,
            WorkingDirectory = workingDirectory,
        };
        foreach (var a in arguments.Skip(1)) psi.ArgumentList.Add(a);
        foreach (var (key, value) in p)
        {
            if (key.Contains("password", StringComparison.OrdinalIgnoreCase)) continue;
            psi.Environment["VIRTTEST_PARAM_" + EnvironmentName(key)] = value;
        }
        Process process;
        try
        {
            process = Process.Start(psi) ?? throw new HostCommandException(param, command, "the process did not start");
        }
        catch (System.ComponentModel.Win32Exception ex)
        {
            throw new HostCommandException(param, command, $"could not start '{arguments[0]}': {ex.Message}");
        }
        using (process)
        {
            process.StandardInput.Close();
            var tail = new Queue<string>();
            void Line(string? line, string level)
            {
                if (line is null) return;
                log.Write(line, level);
                lock (tail)
                {
                    tail.Enqueue(line);
                    if (tail.Count > 5) tail.Dequeue();
                }
            }
            var stdout = PumpAsync(process.StandardOutput, l => Line(l, "HOST"));
            var stderr = PumpAsync(process.StandardError, l => Line(l, "HOST"));
            using var limit = CancellationTokenSource.CreateLinkedTokenSource(ct);
            limit.CancelAfter(timeout);
            try
            {
                await process.WaitForExitAsync(limit.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                try { process.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
                await process.WaitForExitAsync(CancellationToken.None).ConfigureAwait(false);
                ct.ThrowIfCancellationRequested();
                throw new HostCommandException(param, command, string.Create(CultureInfo.InvariantCulture, $"timed out after {timeout.TotalSeconds:0} s and was killed"));
            }
            await Task.WhenAll(stdout, stderr).ConfigureAwait(false);
            log.Write(string.Create(CultureInfo.InvariantCulture, $"{param} exited with {process.ExitCode}"));
            if (process.ExitCode != 0)
            {
                string last;
                lock (tail) last = string.Join(" | ", tail);
                throw new HostCommandException(param, command, string.Create(CultureInfo.InvariantCulture, $"exited with {process.ExitCode}") + (last.Length > 0 ? "; last output: " + last : ""));
            }
        }
    }

    private static async Task PumpAsync(StreamReader reader, Action<string?> line)
    {
        while (await reader.ReadLineAsync().ConfigureAwait(false) is { } l) line(l);
    }

    private static string EnvironmentName(string key)
    {
        var sb = new StringBuilder(key.Length);
        foreach (var c in key) sb.Append(char.IsAsciiLetterOrDigit(c) ? char.ToUpperInvariant(c) : '_');
        return sb.ToString();
    }
}

/// <summary>A host command from the params (<c>pre_command</c>, <c>post_command</c>) failed.</summary>
public sealed class HostCommandException : VirtTestException
{
    /// <inheritdoc />
    public override string ErrorId => "HostCommand";

    /// <inheritdoc />
    public override VirtErrorCategory Category => VirtErrorCategory.InvalidOperation;

    public HostCommandException(string param, string command, string problem)
        : base($"{param} '{command}' {problem}")
    {
        Param = param;
    }

    public string Param { get; }
}
